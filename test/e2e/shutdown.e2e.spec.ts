import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';
import { createTestDatabase } from '../support/database';
import { remoteApp, startTestApp, TEST_API_KEY, TEST_KEY_A } from '../support/app';
import { addFault, connectThroughSandbox, refreshCalls } from '../support/sandbox-flow';

const ROOT = path.resolve(__dirname, '..', '..');

function startService(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | string | null>;
} {
  let output = '';
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: os.homedir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { child, output: () => output, exited };
}

async function waitReady(baseUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${baseUrl}/health/ready`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('service not ready');
}

describe('graceful shutdown', () => {
  it('SIGTERM during a refresh: the request completes and the rotated token is stored', async () => {
    const databaseUrl = await createTestDatabase();
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-shutdown-'));
    const service = startService({
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      PUBLIC_URL: baseUrl,
      DATA_DIR: dataDir,
      API_KEYS: TEST_API_KEY,
      ENCRYPTION_KEYS: TEST_KEY_A,
      REFRESH_SWEEP_INTERVAL_SECONDS: '0',
    });
    try {
      await waitReady(baseUrl);
      const remote = remoteApp(baseUrl, TEST_API_KEY);
      const id = await connectThroughSandbox(remote, 'keap', 'shutdown-owner');
      const before = (await remote.api.get(`/connections/${id}/credentials`).expect(200)).body.accessToken;
      // The provider takes 1.5 s to answer; SIGTERM arrives in the middle.
      await addFault(remote, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 1500 });
      const refreshing = remote.api.post(`/connections/${id}/refresh`);
      const response = new Promise<{ status: number; body: { status?: string } }>((resolve, reject) => {
        refreshing.end((err, res) => (err ? reject(err as Error) : resolve(res)));
      });
      // And a credentials call that joins the same refresh.
      const forcing = remote.api.get(`/connections/${id}/credentials?forceRefresh=true`);
      const credentials = new Promise<{ status: number; body: { accessToken?: string } }>((resolve, reject) => {
        forcing.end((err, res) => (err ? reject(err as Error) : resolve(res)));
      });
      await new Promise((r) => setTimeout(r, 500));
      service.child.kill('SIGTERM');
      const res = await response;
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('active');
      const creds = await credentials;
      expect(creds.status).toBe(200);
      expect(creds.body.accessToken).not.toBe(before);
      expect(await service.exited).toBe('SIGTERM');
      expect(service.output()).toContain('waiting for refreshes in flight before shutdown');

      // Another instance finds the rotated token stored: it reads a new access token, holds no stale
      // lease, and its own refresh (with the stored refresh token) is accepted by the rotating provider.
      const t = await startTestApp({ databaseUrl, port: await freePort() });
      try {
        const row = (
          await t.dataSource.query('SELECT lease_owner, token_version FROM connections WHERE id = $1', [id])
        )[0];
        expect(row.lease_owner).toBeNull();
        expect(row.token_version).toBe(2);
        expect((await t.api.get(`/connections/${id}/credentials`).expect(200)).body.accessToken).not.toBe(before);
        await t.api.post(`/connections/${id}/refresh`).expect(200);
        const calls = await refreshCalls(t, 'keap');
        expect(calls.map((c) => c.status)).toEqual([200, 200]);
      } finally {
        await t.close();
      }
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
