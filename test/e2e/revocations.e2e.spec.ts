import request from 'supertest';
import { freePort } from '../../src/database/embedded-postgres';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { tokenContext } from '../../src/connections/token-context';
import { revocationContext } from '../../src/revocations/revocation-context';
import { RevocationWorker } from '../../src/revocations/revocation-worker';
import { parseKeyring } from '../../src/crypto/keyring';
import { rotateRevocationKeys } from '../../src/revocations/revocation-key-rotation';
import { startTestApp, TEST_KEY_A, TEST_KEY_B, TestApp } from '../support/app';
import { metricCount as sample, scrapeMetrics } from '../support/metrics';
import { addFault, clearSandbox, connectThroughSandbox, faultsTaken } from '../support/sandbox-flow';
import { waitFor } from '../support/wait';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

interface QueueRow {
  id: string;
  provider: string;
  connection_id: string;
  reason: string;
  access_token: string | null;
  refresh_token: string | null;
  attempts: number;
  next_attempt_at: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  last_error: string | null;
  status: string;
  created_at: Date;
}

interface Call {
  id: number;
  endpoint: string;
  grantId: string | null;
  status: number;
  error: string | null;
}

describe('token revocations: reconnects and failed deletes are revoked by the worker (simulators)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      port: await freePort(),
      env: {
        // Driven with runOnce(now).
        REVOCATION_INTERVAL_SECONDS: '0',
        REVOCATION_GIVE_UP_HOURS: '1',
        REVOCATION_RETRY_BASE_SECONDS: '60',
        REVOCATION_RETRY_MAX_SECONDS: '3600',
      },
    });
  }, 60_000);
  afterAll(() => t.close());
  beforeEach(async () => {
    for (const p of ['webflow', 'clickfunnels', 'keap']) await clearSandbox(t, p);
    // Each test works on its own rows only.
    await t.dataSource.query('DELETE FROM token_revocations');
  });

  const worker = () => t.app.get(RevocationWorker);
  const queue = async (connectionId: string): Promise<QueueRow[]> =>
    t.dataSource.query('SELECT * FROM token_revocations WHERE connection_id = $1 ORDER BY created_at, id', [
      connectionId,
    ]);
  const allQueued = async (): Promise<QueueRow[]> => t.dataSource.query('SELECT * FROM token_revocations');
  const accessToken = async (id: string): Promise<string> =>
    (await t.api.get(`/connections/${id}/credentials`).expect(200)).body.accessToken;
  const calls = async (provider: string, endpoint: string): Promise<Call[]> =>
    (await request(t.baseUrl).get(`/sandbox/${provider}/calls`).query({ endpoint }).expect(200)).body;
  /** The grant of the last token call (the code exchange of the connect just made). */
  const lastGrant = async (provider: string): Promise<string> => {
    const token = await calls(provider, 'token');
    return token[token.length - 1].grantId!;
  };
  const WHOAMI: Record<string, string> = {
    webflow: '/sandbox/webflow/api/token/authorized_by',
    clickfunnels: '/sandbox/clickfunnels/api/teams',
  };
  const whoami = async (provider: string, token: string): Promise<number> =>
    // ClickFunnels blocks requests without a User-Agent.
    (await t.anon.get(WHOAMI[provider]).set('Authorization', `Bearer ${token}`).set('User-Agent', 'revocations-test'))
      .status;
  const metrics = () => scrapeMetrics(t);

  describe('reconnect', () => {
    it.each(['webflow', 'clickfunnels'])(
      '%s: the superseded token is queued with the reconnect, not revoked inline; the worker revokes it and the new one keeps working',
      async (provider) => {
        const id = await connectThroughSandbox(t, provider, `rc-${provider}`);
        const old = await accessToken(id);
        const oldGrant = await lastGrant(provider);

        expect(await connectThroughSandbox(t, provider, `rc-${provider}`)).toBe(id);
        const fresh = await accessToken(id);
        expect(fresh).not.toBe(old);
        // Nothing was revoked in the browser flow's request.
        expect(await calls(provider, 'revoke')).toEqual([]);
        expect(await whoami(provider, old)).toBe(200);

        const [row, ...more] = await queue(id);
        expect(more).toEqual([]);
        expect(row).toMatchObject({ provider, reason: 'reconnect', status: 'pending', attempts: 0, last_error: null });
        // Encrypted for the queue row, not the connection's envelope: only the row's context opens it.
        const cipher = t.app.get(TokenCipher);
        expect(row.access_token).toMatch(/^v1\.ka\./);
        expect(JSON.stringify(row)).not.toContain(old);
        expect(cipher.decrypt(row.access_token!, revocationContext(row.id, 'access_token'))).toBe(old);
        expect(() => cipher.decrypt(row.access_token!, tokenContext(id, 'access_token'))).toThrow();

        expect(await worker().runOnce()).toEqual({ attempted: 1, revoked: 1, failed: 0, givenUp: 0, deferred: 0 });

        const revokes = await calls(provider, 'revoke');
        expect(revokes.map((c) => ({ grantId: c.grantId, status: c.status }))).toEqual([
          { grantId: oldGrant, status: 200 },
        ]);
        expect(await whoami(provider, old)).toBe(401);
        expect(await whoami(provider, fresh)).toBe(200);
        expect(await accessToken(id)).toBe(fresh);
        expect((await t.api.get(`/connections/${id}`).expect(200)).body.status).toBe('active');
        expect((await queue(id))[0]).toMatchObject({
          status: 'revoked',
          attempts: 1,
          access_token: null,
          refresh_token: null,
          lease_owner: null,
          lease_until: null,
          last_error: null,
        });
        // Done is done: the next run has nothing to do.
        expect((await worker().runOnce()).attempted).toBe(0);
        expect(await calls(provider, 'revoke')).toHaveLength(1);
      },
    );

    it('an import that hands back the live access token queues nothing (revoking it would kill the connection)', async () => {
      const body = { provider: 'webflow', ownerId: 'rc-same', accountId: 'u-same', accessToken: 'wf-same-token' };
      const { body: created } = await t.api.post('/connections').send(body).expect(201);
      await t.api.post('/connections').send(body).expect(200);
      expect(await queue(created.id)).toEqual([]);
      // A different token is a superseded one.
      await t.api
        .post('/connections')
        .send({ ...body, accessToken: 'wf-other-token' })
        .expect(200);
      expect((await queue(created.id)).map((r) => r.reason)).toEqual(['reconnect']);
    });

    it('a provider without revoke (Keap) queues nothing on reconnect or delete', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'rc-keap');
      expect(await connectThroughSandbox(t, 'keap', 'rc-keap')).toBe(id);
      await t.api
        .post('/connections')
        .send({ provider: 'keap', ownerId: 'rc-keap-import', accessToken: 'k-1', refreshToken: 'kr-1' })
        .expect(201);
      const { body: again } = await t.api
        .post('/connections')
        .send({ provider: 'keap', ownerId: 'rc-keap-import', accessToken: 'k-2', refreshToken: 'kr-2' })
        .expect(200);
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body.providerRevocation).toBe('unsupported');
      expect((await t.api.delete(`/connections/${again.id}`).expect(200)).body.providerRevocation).toBe('unsupported');
      expect(await allQueued()).toEqual([]);
      expect((await worker().runOnce()).attempted).toBe(0);
    });
  });

  describe('delete', () => {
    it('a DELETE whose revoke succeeds answers revoked and queues nothing', async () => {
      const id = await connectThroughSandbox(t, 'webflow', 'del-ok');
      const token = await accessToken(id);
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body).toEqual({
        id,
        providerRevocation: 'revoked',
        subscriptions: { removed: 0, queued: 0 },
      });
      expect(await whoami('webflow', token)).toBe(401);
      expect(await queue(id)).toEqual([]);
    });

    it('a DELETE whose revoke fails (503) answers failed, queues the token with the delete, and the worker revokes it', async () => {
      const id = await connectThroughSandbox(t, 'webflow', 'del-503');
      const token = await accessToken(id);
      const grant = await lastGrant('webflow');
      await addFault(t, 'webflow', { endpoint: 'revoke', kind: 'status_503' });

      expect((await t.api.delete(`/connections/${id}`).expect(200)).body).toEqual({
        id,
        providerRevocation: 'failed',
        subscriptions: { removed: 0, queued: 0 },
      });
      await t.api.get(`/connections/${id}`).expect(404);
      expect(await queue(id)).toEqual([
        expect.objectContaining({ provider: 'webflow', reason: 'delete', status: 'pending', attempts: 0 }),
      ]);
      expect(await whoami('webflow', token)).toBe(200);
      expect(sample(await metrics(), 'oauth_revocations_pending', { provider: 'webflow' })).toBe(1);

      expect(await worker().runOnce()).toEqual({ attempted: 1, revoked: 1, failed: 0, givenUp: 0, deferred: 0 });

      expect((await calls('webflow', 'revoke')).map((c) => [c.status, c.grantId])).toEqual([
        [503, null],
        [200, grant],
      ]);
      expect(await whoami('webflow', token)).toBe(401);
      expect((await queue(id))[0]).toMatchObject({
        status: 'revoked',
        attempts: 1,
        access_token: null,
        refresh_token: null,
      });
      expect(sample(await metrics(), 'oauth_revocations_pending', { provider: 'webflow' })).toBe(0);
    });

    it('a failed attempt is retried with exponential backoff and jitter, not before it is due', async () => {
      const id = await connectThroughSandbox(t, 'clickfunnels', 'del-backoff');
      const token = await accessToken(id);
      // The DELETE's own call and the worker's first two attempts fail.
      await addFault(t, 'clickfunnels', { endpoint: 'revoke', kind: 'status_503', remaining: 3 });
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body.providerRevocation).toBe('failed');

      const t0 = new Date();
      expect(await worker().runOnce(t0)).toMatchObject({ attempted: 1, failed: 1 });
      let [row] = await queue(id);
      expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'revoke_failed', lease_owner: null });
      expect(row.access_token).not.toBeNull();
      // 60 s ± 50 %.
      const first = row.next_attempt_at.getTime() - t0.getTime();
      expect(first).toBeGreaterThanOrEqual(30 * SECOND);
      expect(first).toBeLessThanOrEqual(90 * SECOND);

      // Not due yet: nothing happens.
      expect((await worker().runOnce(new Date(row.next_attempt_at.getTime() - 1))).attempted).toBe(0);
      expect(await calls('clickfunnels', 'revoke')).toHaveLength(2);

      const t1 = row.next_attempt_at;
      expect(await worker().runOnce(t1)).toMatchObject({ attempted: 1, failed: 1 });
      [row] = await queue(id);
      expect(row.attempts).toBe(2);
      // 120 s ± 50 %.
      const second = row.next_attempt_at.getTime() - t1.getTime();
      expect(second).toBeGreaterThanOrEqual(60 * SECOND);
      expect(second).toBeLessThanOrEqual(180 * SECOND);

      expect(await worker().runOnce(row.next_attempt_at)).toMatchObject({ attempted: 1, revoked: 1 });
      expect((await queue(id))[0]).toMatchObject({ status: 'revoked', attempts: 3, access_token: null });
      expect(await whoami('clickfunnels', token)).toBe(401);
    });

    it('a revocation failing until REVOCATION_GIVE_UP_HOURS after it was queued is given up and its ciphertext deleted; the row stays as a record', async () => {
      const before = await metrics();
      const counted = (text: string, outcome: string) =>
        sample(text, 'oauth_revocation_attempts_total', { provider: 'webflow', outcome });
      const id = await connectThroughSandbox(t, 'webflow', 'del-give-up');
      await addFault(t, 'webflow', { endpoint: 'revoke', kind: 'status_503', remaining: 100 });
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body.providerRevocation).toBe('failed');
      const horizon = (await queue(id))[0].created_at.getTime() + HOUR;

      // Each run when the row is due (the worker's clock), until it is finished.
      const runs: number[] = [];
      for (let run = 0; run < 30 && (await queue(id))[0].status === 'pending'; run++) {
        const now = (await queue(id))[0].next_attempt_at;
        runs.push(now.getTime());
        expect((await worker().runOnce(now)).attempted).toBe(1);
      }
      const [row] = await queue(id);
      expect(row).toMatchObject({
        status: 'given_up',
        attempts: runs.length,
        last_error: 'revoke_failed',
        access_token: null,
        refresh_token: null,
        lease_owner: null,
      });
      // Retried over the hour (60 s doubling, ±50 %), the last try at the horizon itself.
      expect(runs.length).toBeGreaterThanOrEqual(5);
      expect(runs[runs.length - 1]).toBe(horizon);
      expect(runs.slice(0, -1).every((at) => at < horizon)).toBe(true);
      // Nothing after giving up.
      expect((await worker().runOnce(new Date(horizon + 86_400 * SECOND))).attempted).toBe(0);
      // The DELETE's call and one per run.
      expect((await calls('webflow', 'revoke')).map((c) => c.status)).toEqual(Array(runs.length + 1).fill(503));

      const after = await metrics();
      expect(counted(after, 'failed') - counted(before, 'failed')).toBe(runs.length - 1);
      expect(counted(after, 'given_up') - counted(before, 'given_up')).toBe(1);
      expect(counted(after, 'revoked') - counted(before, 'revoked')).toBe(0);
      expect(sample(after, 'oauth_revocations_pending', { provider: 'webflow' })).toBe(0);
    });

    it('tokens a reconnect stored while the DELETE was revoking the old ones are queued and revoked too', async () => {
      const id = await connectThroughSandbox(t, 'webflow', 'del-race');
      const old = await accessToken(id);
      // The DELETE's revoke call takes long; the user reconnects meanwhile.
      await addFault(t, 'webflow', { endpoint: 'revoke', kind: 'slow', delayMs: 3000 });
      const deleting = t.api.delete(`/connections/${id}`).then((res) => res);
      await waitFor(() => faultsTaken((q, p) => t.dataSource.query(q, p), 'webflow'), 'the revoke call is held');
      expect(await connectThroughSandbox(t, 'webflow', 'del-race')).toBe(id);
      const fresh = await accessToken(id);
      const deleted = await deleting;
      expect(deleted.status).toBe(200);
      expect(deleted.body.providerRevocation).toBe('revoked');
      expect(await whoami('webflow', old)).toBe(401);
      // The new token outlived the revoke: the delete queued it.
      expect((await queue(id)).map((r) => r.reason)).toEqual(['reconnect', 'delete']);
      expect(await whoami('webflow', fresh)).toBe(200);

      expect((await worker().runOnce()).revoked).toBe(2);
      expect(await whoami('webflow', fresh)).toBe(401);
    });
  });

  describe('leases', () => {
    it('skips a row another replica holds a live lease on, and takes it over once that lease has run out', async () => {
      const id = await connectThroughSandbox(t, 'webflow', 'lease-1');
      await addFault(t, 'webflow', { endpoint: 'revoke', kind: 'status_503' });
      await t.api.delete(`/connections/${id}`).expect(200);
      const now = new Date();
      await t.dataSource.query(
        `UPDATE token_revocations SET lease_owner = 'other-replica', lease_until = $2 WHERE connection_id = $1`,
        [id, new Date(now.getTime() + 60 * SECOND)],
      );
      expect((await worker().runOnce(now)).attempted).toBe(0);
      expect(await calls('webflow', 'revoke')).toHaveLength(1);
      // That replica died: its lease runs out.
      expect((await worker().runOnce(new Date(now.getTime() + 61 * SECOND))).revoked).toBe(1);
      expect((await queue(id))[0]).toMatchObject({ status: 'revoked', lease_owner: null });
    });
  });

  describe('key rotation', () => {
    it('re-encrypts the tokens of pending rows under the new key, once', async () => {
      const id = await connectThroughSandbox(t, 'webflow', 'rotate-1');
      const token = await accessToken(id);
      await addFault(t, 'webflow', { endpoint: 'revoke', kind: 'status_503' });
      await t.api.delete(`/connections/${id}`).expect(200);
      const [before] = await queue(id);
      expect(before.access_token).toMatch(/^v1\.ka\./);

      const rotating = new TokenCipher(parseKeyring(`${TEST_KEY_B},${TEST_KEY_A}`));
      expect(await rotateRevocationKeys(t.dataSource, rotating)).toEqual({ rotated: 1, failed: [] });
      const [after] = await queue(id);
      expect(after.access_token).toMatch(/^v1\.kb\./);
      // Only the new key is needed from now on.
      const newKeyOnly = new TokenCipher(parseKeyring(TEST_KEY_B));
      expect(newKeyOnly.decrypt(after.access_token!, revocationContext(after.id, 'access_token'))).toBe(token);
      expect(await rotateRevocationKeys(t.dataSource, rotating)).toEqual({ rotated: 0, failed: [] });
    });
  });

  it('keeps finished rows 30 days as a record, then purges them; pending rows stay', async () => {
    await t.dataSource.query(`DELETE FROM token_revocations`);
    const insert = (status: string, ageDays: number, token: string | null) =>
      t.dataSource.query(
        `INSERT INTO token_revocations (id, provider, connection_id, reason, access_token, next_attempt_at, status, updated_at)
         VALUES (gen_random_uuid(), 'webflow', gen_random_uuid(), 'delete', $1, now(), $2, now() - make_interval(days => $3))`,
        [token, status, ageDays],
      );
    await insert('revoked', 31, null);
    await insert('given_up', 40, null);
    await insert('revoked', 29, null);
    await insert('pending', 45, 'v1.ka.x.y.z');
    expect(await worker().purge()).toBe(2);
    const left = await t.dataSource.query(`SELECT status FROM token_revocations ORDER BY status`);
    expect(left).toEqual([{ status: 'pending' }, { status: 'revoked' }]);
    await t.dataSource.query(`DELETE FROM token_revocations`);
  });
});
