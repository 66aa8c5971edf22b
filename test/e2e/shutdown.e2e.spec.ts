import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';
import { createTestDatabase, rawClient } from '../support/database';
import { remoteApp, startTestApp, TEST_API_KEY, TEST_KEY_A } from '../support/app';
import { RefreshSweep } from '../../src/token-lifecycle/refresh-sweep';
import { RefreshService } from '../../src/token-lifecycle/refresh.service';
import { addFault, connectThroughSandbox, faultsTaken, queryOf, refreshCalls } from '../support/sandbox-flow';
import { spawnService, waitUntilReady } from '../support/spawn';
import { StubProvider } from '../support/stub-provider';
import { settled, watchHook } from '../support/hooks';
import { gate, waitFor, within } from '../support/wait';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { tokenContext } from '../../src/connections/token-context';

describe('graceful shutdown', () => {
  it('SIGTERM during a refresh: the request completes and the rotated token is stored', async () => {
    const databaseUrl = await createTestDatabase();
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-shutdown-'));
    const service = spawnService({
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      PUBLIC_URL: baseUrl,
      DATA_DIR: dataDir,
      API_KEYS: TEST_API_KEY,
      ENCRYPTION_KEYS: TEST_KEY_A,
      REFRESH_SWEEP_INTERVAL_SECONDS: '0',
    });
    try {
      await waitUntilReady(baseUrl, service, 60_000);
      const remote = remoteApp(baseUrl, TEST_API_KEY);
      const id = await connectThroughSandbox(remote, 'keap', 'shutdown-owner');
      const before = (await remote.api.get(`/connections/${id}/credentials`).expect(200)).body.accessToken;
      // The provider holds its answer; SIGTERM arrives while the refresh is at the provider.
      await addFault(remote, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 2500 });
      const refreshing = remote.api.post(`/connections/${id}/refresh`);
      const response = new Promise<{ status: number; body: { status?: string } }>((resolve, reject) => {
        refreshing.end((err, res) => (err ? reject(err as Error) : resolve(res)));
      });
      // And a credentials call that joins the same refresh.
      const forcing = remote.api.get(`/connections/${id}/credentials?forceRefresh=true`);
      const credentials = new Promise<{ status: number; body: { accessToken?: string } }>((resolve, reject) => {
        forcing.end((err, res) => (err ? reject(err as Error) : resolve(res)));
      });
      const db = await rawClient(databaseUrl);
      try {
        const query = queryOf(db);
        await waitFor(
          async () =>
            (await query('SELECT lease_owner FROM connections WHERE id = $1', [id]))[0].lease_owner !== null &&
            (await faultsTaken(query, 'keap')),
          'the refresh is held at the provider',
        );
      } finally {
        await db.end();
      }
      expect(await refreshCalls(remote, 'keap')).toEqual([]);
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

  it('app.close during a sweep whose refresh is held at the provider: the close waits, the refresh finishes, its rotated token is stored, and no lease is left', async () => {
    // The provider runs outside the app (the sandbox would close with it) and holds its answer.
    const stub = await new StubProvider().start();
    const databaseUrl = await createTestDatabase();
    const env = { ...stub.env, REFRESH_CONCURRENCY: '1', HTTP_TIMEOUT_MS: '5000', REFRESH_LEASE_SECONDS: '30' };
    const t = await startTestApp({ databaseUrl, env });
    let closed = false;
    try {
      const create = async (owner: string) =>
        (
          await t.api
            .post('/connections')
            .send({
              provider: 'stub',
              ownerId: owner,
              accessToken: 'at-0',
              refreshToken: `rt-0-${owner}`,
              expiresIn: 3600,
            })
            .expect(201)
        ).body.id as string;
      const ids = [await create('close-a'), await create('close-b')];
      // Both due: expiring inside the refresh lead time.
      await t.dataSource.query(`UPDATE connections SET expires_at = now() + interval '10 seconds'`);
      const held = gate();
      stub.tokenAnswers.push(async () => {
        await held.promise;
        return StubProvider.tokens('held');
      });
      stub.tokenAnswers.push(() => StubProvider.tokens('second'));
      const sweeping = t.app.get(RefreshSweep).runOnce();
      const [inFlight] = await stub.fake.waitForRequests('/token', 1);
      const owner = t.app.get(RefreshService).owner;
      expect(
        (await t.dataSource.query('SELECT count(*)::int AS n FROM connections WHERE lease_owner = $1', [owner]))[0].n,
      ).toBe(2);
      // Shutdown reaches the sweep's hook while the refresh is at the provider. Once every job that needs
      // no answer has had its turn, the hook must still be waiting: only then is the answer released
      // (the order is forced, not timed).
      const hook = watchHook(t.app.get(RefreshSweep), 'beforeApplicationShutdown');
      const order: string[] = [];
      const closing = t.close().then(() => order.push('closed'));
      void hook.finished.then(() => order.push('hook finished'));
      await within(hook.entered, 15_000, 'the close reaching the sweep');
      await settled();
      expect(hook.done).toBe(false);
      order.push('answered');
      held.release();
      const report = await within(sweeping, 15_000, 'the sweep');
      await within(closing, 15_000, 'app.close');
      closed = true;
      expect(order).toEqual(['answered', 'hook finished', 'closed']);
      expect(report).toMatchObject({ claimed: 2, failed: 0 });
      expect(t.logs.lines.join('')).not.toContain('could not store refreshed tokens');

      // Another instance finds the rotated tokens stored and no lease left behind.
      const next = await startTestApp({ databaseUrl, env });
      try {
        const heldId = inFlight.body.refresh_token === 'rt-0-close-a' ? ids[0] : ids[1];
        const rows = await next.dataSource.query('SELECT id, refresh_token, lease_owner FROM connections');
        expect(rows.map((r: { lease_owner: string | null }) => r.lease_owner)).toEqual([null, null]);
        const stored = (id: string) =>
          next.app
            .get(TokenCipher)
            .decrypt(rows.find((r: { id: string }) => r.id === id).refresh_token, tokenContext(id, 'refresh_token'));
        expect(stored(heldId)).toBe('rt-held');
        // The rest of the claimed batch was refreshed too (the sweep stops between batches, not within one).
        expect(stored(ids.find((id) => id !== heldId)!)).toBe('rt-second');
      } finally {
        await next.close();
      }
    } finally {
      // After a failed shutdown a second close may hang: bounded, and its error does not hide the first.
      if (!closed) await within(t.close(), 5000, 'app.close').catch(() => undefined);
      await stub.stop();
    }
  }, 60_000);
});
