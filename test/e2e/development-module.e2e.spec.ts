import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/database/embedded-postgres';
import { createTestDatabase } from '../support/database';
import { SpawnedService, spawnService, stopService, waitUntilReady } from '../support/spawn';

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
const DEV = path.join(SRC, 'dev');
/** The one file allowed to load the development module (and only when the sandbox runs). */
const LOADER = path.join(SRC, 'app.module.ts');

function allFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const sourceFiles = (dir: string) => allFiles(dir).filter((f) => f.endsWith('.ts'));

/** Every module specifier a file names: static and type imports, re-exports, require() and import(). */
function specifiers(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found = [...text.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return found.map((m) => m[1] ?? m[2]);
}

describe('the development module (simulators, development page)', () => {
  it('is imported by nothing under src/ outside it but app.module.ts', () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => !file.startsWith(DEV + path.sep) && file !== LOADER)
      .flatMap((file) =>
        specifiers(file)
          .filter((spec) => spec.startsWith('.'))
          .map((spec) => path.resolve(path.dirname(file), spec))
          .filter((target) => target === DEV || target.startsWith(DEV + path.sep))
          .map((target) => `${path.relative(ROOT, file)} -> ${path.relative(ROOT, target)}`),
      );
    expect(offenders).toEqual([]);
    // The check sees what it must: app.module.ts does name the module.
    expect(specifiers(LOADER)).toContain('./dev/development.module');
  });

  describe('the production bundle (built as the Dockerfile builds it)', () => {
    const outDir = path.join(ROOT, '.data', `production-build-${randomBytes(4).toString('hex')}`);
    let service: SpawnedService | undefined;

    beforeAll(() => {
      const tsc = spawnSync(
        process.execPath,
        [
          path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
          '-p',
          'tsconfig.production.json',
          '--outDir',
          outDir,
        ],
        { cwd: ROOT, encoding: 'utf8' },
      );
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
    }, 180_000);

    afterAll(async () => {
      if (service) await stopService(service);
      fs.rmSync(outDir, { recursive: true, force: true });
    });

    it('contains no simulator or development-page code', () => {
      const compiled = allFiles(outDir).map((f) => path.relative(outDir, f));
      expect(compiled).toContain(path.join('src', 'main.js'));
      expect(compiled.filter((f) => f.startsWith(path.join('src', 'dev')) || /^src.*sandbox/i.test(f))).toEqual([]);
      // What the bundle leaves out is exactly the development module: the dev build has it.
      expect(fs.existsSync(path.join(ROOT, 'dist', 'src', 'dev', 'development.module.js'))).toBe(true);
    });

    it('says what to set when started outside production without credentials (it has no simulators)', async () => {
      const result = spawnSync(process.execPath, [path.join(outDir, 'src', 'main.js')], {
        cwd: os.tmpdir(),
        env: {
          PATH: process.env.PATH ?? '',
          HOME: os.homedir(),
          NODE_ENV: 'development',
          PORT: '1',
          DATA_DIR: path.join(outDir, 'data'),
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('SANDBOX: this is the production build');
    }, 90_000);

    it('runs in production with real credentials: no sandbox tables, /sandbox/* and / are 404', async () => {
      const databaseUrl = await createTestDatabase();
      const port = await freePort();
      service = spawnService(
        {
          NODE_ENV: 'production',
          PORT: String(port),
          DATABASE_URL: databaseUrl,
          API_KEYS: `prod_${randomBytes(16).toString('hex')}`,
          ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
          KEAP_CLIENT_ID: 'real-client-id',
          KEAP_CLIENT_SECRET: 'real-client-secret',
          LOG_LEVEL: 'warn',
        },
        { main: path.join(outDir, 'src', 'main.js') },
      );
      const base = `http://127.0.0.1:${port}`;
      await waitUntilReady(base, service, 60_000);
      for (const route of ['/', '/sandbox/keap/authorize', '/sandbox/keap/token', '/dev/connect/keap']) {
        const method = route === '/' || route.endsWith('authorize') ? 'GET' : 'POST';
        expect([route, (await fetch(`${base}${route}`, { method })).status]).toEqual([route, 404]);
      }
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query(
          `SELECT table_schema, table_name FROM information_schema.tables
            WHERE table_schema = 'sandbox' OR table_name LIKE 'sandbox%'`,
        );
        expect(rows).toEqual([]);
        const { rows: schemas } = await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'sandbox'`);
        expect(schemas).toEqual([]);
        // The service's own tables are there: the migrations ran.
        const { rows: connections } = await db.query(`SELECT to_regclass('public.connections') AS t`);
        expect(connections[0].t).toBe('connections');
      } finally {
        await db.end();
      }
    }, 120_000);
  });
});
