import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';
import { ROOT, SpawnedService, spawnService, stopService, waitForOutput, waitUntilReady } from '../support/spawn';

/** `node dist/src/main` exactly as `npm start` runs it, with an empty environment apart from the data dir and port. */
const startService = (dataDir: string, port: number, extraEnv: Record<string, string> = {}, cwd = ROOT) =>
  spawnService({ DATA_DIR: dataDir, PORT: String(port), ...extraEnv }, { cwd });

describe('npm start with no configuration (embedded Postgres, generated development secrets)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-start-'));
  let running: SpawnedService | undefined;

  afterAll(async () => {
    if (running && running.child.exitCode === null) await stopService(running);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves /docs and /health/ready, keeps data and keys across a restart, and stops Postgres on SIGTERM', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    running = startService(dataDir, port);
    await waitUntilReady(baseUrl, running);

    expect((await fetch(`${baseUrl}/docs`)).status).toBe(200);
    const keyFile = path.join(dataDir, 'api-key');
    const apiKey = fs.readFileSync(keyFile, 'utf8').trim();
    // No NODE_ENV is development: readable lines, not JSON, and start-up ends with a block saying where
    // the key is and how to use it, never the key itself.
    const curl = `curl -H "Authorization: Bearer $(cat ${keyFile})" http://localhost:${port}/connections`;
    await waitForOutput(running, curl);
    await waitForOutput(running, ' INFO: GET /docs 200 ');
    const output = running.output();
    expect(output).toContain(`API key   in ${keyFile}`);
    expect(output).toContain(`API docs  http://localhost:${port}/docs`);
    expect(output).toMatch(/^\d\d:\d\d:\d\d {2}INFO: GET \/docs 200 \d+ ms req=\S+$/m);
    expect(output.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
    expect(output).not.toContain(apiKey);
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(true);

    const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };
    const created = await fetch(`${baseUrl}/connections`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        provider: 'keap',
        ownerId: 'restart-1',
        accessToken: 'at-restart',
        refreshToken: 'rt-restart',
      }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    expect(await stopService(running)).toBe('SIGTERM');
    // Postgres was shut down with the service: its pid file is gone.
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    // The whole output (read to its end): no token, and not the key either.
    expect(running.output()).not.toContain('at-restart');
    expect(running.output()).not.toContain(apiKey);

    running = startService(dataDir, port);
    await waitUntilReady(baseUrl, running);
    const creds = await fetch(`${baseUrl}/connections/${id}/credentials`, { headers });
    expect(creds.status).toBe(200);
    expect(((await creds.json()) as { accessToken: string }).accessToken).toBe('at-restart');
    expect(await stopService(running)).toBe('SIGTERM');
  }, 240_000);

  it('refuses to start in production without API_KEYS and ENCRYPTION_KEYS, naming them', async () => {
    const port = await freePort();
    const prodDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-prod-'));
    try {
      const prod = startService(prodDir, port, { NODE_ENV: 'production' });
      expect(await prod.exited).toBe(1);
      expect(prod.output()).toContain('API_KEYS: is required when NODE_ENV=production');
      expect(prod.output()).toContain('ENCRYPTION_KEYS: is required when NODE_ENV=production');
      // Nothing was generated or started.
      expect(fs.readdirSync(prodDir)).toEqual([]);
    } finally {
      fs.rmSync(prodDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('reads .env from the working directory before anything else: its LOG_LEVEL decides the first log line', async () => {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-dotenv-'));
    // Variables already set win over the file: PORT and DATA_DIR come from the environment.
    fs.writeFileSync(path.join(dir, '.env'), `LOG_LEVEL=warn\nPORT=1\n`);
    const running = startService(path.join(dir, 'data'), port, {}, dir);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitUntilReady(base, running);
      expect((await fetch(`${base}/providers`)).status).toBe(401); // a warn request line
      const docs = await fetch(`${base}/docs-json`); // an info one
      expect(docs.status).toBe(200);
      await docs.text();
      // A warn line for a request sent only once the info one was answered in full: when it is in the
      // output, the info line (written when its answer finished) had its chance to be there before it.
      expect((await fetch(`${base}/api-keys`)).status).toBe(401);
      await waitForOutput(running, 'GET /api-keys 401');
      expect(running.output()).toContain('GET /providers 401');
      // Nothing at info level was written, Nest's start-up lines included.
      expect(running.output()).not.toMatch(/\bINFO\b/);
      expect(running.output()).not.toContain('/docs-json');
    } finally {
      await stopService(running);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
