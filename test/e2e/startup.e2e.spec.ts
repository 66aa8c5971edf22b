import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';

const ROOT = path.resolve(__dirname, '..', '..');

interface Running {
  child: ChildProcess;
  output: () => string;
  /** Exit code, or the signal name when Nest re-raised SIGTERM after closing the app. */
  exited: Promise<number | string | null>;
}

/** `node dist/src/main` exactly as `npm start` runs it, with an empty environment apart from the data dir and port. */
function startService(dataDir: string, port: number, extraEnv: Record<string, string> = {}, cwd = ROOT): Running {
  let output = '';
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: os.homedir(), DATA_DIR: dataDir, PORT: String(port), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { child, output: () => output, exited };
}

async function waitForReady(baseUrl: string, running: Running): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null) throw new Error(`service exited early:\n${running.output()}`);
    try {
      const res = await fetch(`${baseUrl}/health/ready`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`service not ready in time:\n${running.output()}`);
}

/** Output arrives through a pipe, a little after the service has done what wrote it. */
async function waitForOutput(running: Running, text: string): Promise<void> {
  for (let i = 0; i < 100 && !running.output().includes(text); i++) await new Promise((r) => setTimeout(r, 50));
  expect(running.output()).toContain(text);
}

async function stop(running: Running): Promise<number | string | null> {
  running.child.kill('SIGTERM');
  return running.exited;
}

describe('npm start with no configuration (embedded Postgres, generated development secrets)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-start-'));
  let running: Running | undefined;

  afterAll(async () => {
    if (running && running.child.exitCode === null) await stop(running);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves /docs and /health/ready, keeps data and keys across a restart, and stops Postgres on SIGTERM', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    running = startService(dataDir, port);
    await waitForReady(baseUrl, running);

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

    expect(await stop(running)).toBe('SIGTERM');
    // Postgres was shut down with the service: its pid file is gone.
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(running.output()).not.toContain('at-restart');

    running = startService(dataDir, port);
    await waitForReady(baseUrl, running);
    const creds = await fetch(`${baseUrl}/connections/${id}/credentials`, { headers });
    expect(creds.status).toBe(200);
    expect(((await creds.json()) as { accessToken: string }).accessToken).toBe('at-restart');
    expect(await stop(running)).toBe('SIGTERM');
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
      await waitForReady(`http://127.0.0.1:${port}`, running);
      expect((await fetch(`http://127.0.0.1:${port}/providers`)).status).toBe(401); // a warn request line
      expect((await fetch(`http://127.0.0.1:${port}/docs-json`)).status).toBe(200); // an info one
      await waitForOutput(running, 'GET /providers 401');
      // Nothing at info level was written, Nest's start-up lines included.
      expect(running.output()).not.toMatch(/\bINFO\b/);
      expect(running.output()).not.toContain('/docs-json');
    } finally {
      await stop(running);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
