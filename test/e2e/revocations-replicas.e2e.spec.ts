import request from 'supertest';
import { freePort } from '../../src/database/embedded-postgres';
import { RevocationWorker } from '../../src/revocations/revocation-worker';
import { createTestDatabase, rawClient } from '../support/database';
import { startTestApp, TestApp } from '../support/app';
import { addFault, clearSandbox, connectThroughSandbox, faultsTaken } from '../support/sandbox-flow';
import { waitFor } from '../support/wait';

/**
 * Two replicas on one database (the simulators' state is in it too), each with its own worker and
 * lease owner: every queued revocation is attempted once, by one of them.
 */
describe('token revocations across replicas', () => {
  // Webflow's call budget is 1 per second, shared with refreshes: eight revocations at once would
  // spread over eight seconds and some be deferred. The budget has its own tests (revocations-worker).
  const env = { REVOCATION_INTERVAL_SECONDS: '0', WEBFLOW_REFRESH_RATE_PER_SECOND: '100' };
  let databaseUrl: string;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    a = await startTestApp({ databaseUrl, port: await freePort(), env });
    b = await startTestApp({ databaseUrl, port: await freePort(), env });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });
  beforeEach(() => clearSandbox(a, 'webflow'));

  const revokeCalls = async (): Promise<{ grantId: string | null; status: number }[]> =>
    (await request(a.baseUrl).get('/sandbox/webflow/calls').query({ endpoint: 'revoke' }).expect(200)).body;

  /** `n` Webflow connections whose DELETE could not revoke: `n` pending rows. */
  async function queueFailedDeletes(owner: string, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await connectThroughSandbox(a, 'webflow', `${owner}-${i}`));
    await addFault(a, 'webflow', { endpoint: 'revoke', kind: 'status_503', remaining: n });
    for (const id of ids)
      expect((await a.api.delete(`/connections/${id}`).expect(200)).body.providerRevocation).toBe('failed');
    await clearSandbox(a, 'webflow');
    return ids;
  }

  it('two workers running at once revoke each row exactly once (FOR UPDATE SKIP LOCKED + lease)', async () => {
    const ids = await queueFailedDeletes('two', 8);
    // Slow answers keep both runs busy at the same time.
    await addFault(a, 'webflow', { endpoint: 'revoke', kind: 'slow', delayMs: 300, remaining: 16 });

    const [ra, rb] = await Promise.all([a.app.get(RevocationWorker).runOnce(), b.app.get(RevocationWorker).runOnce()]);

    expect(ra.attempted + rb.attempted).toBe(8);
    expect(ra.revoked + rb.revoked).toBe(8);
    const calls = await revokeCalls();
    expect(calls).toHaveLength(8);
    expect(calls.every((c) => c.status === 200)).toBe(true);
    expect(new Set(calls.map((c) => c.grantId)).size).toBe(8);
    const rows: { status: string; attempts: number }[] = await a.dataSource.query(
      'SELECT status, attempts FROM token_revocations WHERE connection_id = ANY($1)',
      [ids],
    );
    expect(rows).toHaveLength(8);
    expect(rows.every((r) => r.status === 'revoked' && r.attempts === 1)).toBe(true);
  }, 60_000);

  it('on shutdown, the attempt in flight finishes and records its outcome before the database closes', async () => {
    const c = await startTestApp({ databaseUrl, port: await freePort(), env });
    let closed = false;
    try {
      const [id] = await queueFailedDeletes('shutdown', 1);
      await addFault(a, 'webflow', { endpoint: 'revoke', kind: 'slow', delayMs: 1000 });
      const run = c.app.get(RevocationWorker).runOnce();
      // Close only once the revoke call is at the provider (the slow fault taken).
      await waitFor(() => faultsTaken((q, p) => a.dataSource.query(q, p), 'webflow'), 'the revoke call is held');
      await c.close();
      closed = true;
      expect(await run).toMatchObject({ attempted: 1, revoked: 1 });
      const db = await rawClient(databaseUrl);
      try {
        const { rows } = await db.query('SELECT * FROM token_revocations WHERE connection_id = $1', [id]);
        expect(rows[0]).toMatchObject({ status: 'revoked', access_token: null, lease_owner: null });
      } finally {
        await db.end();
      }
    } finally {
      if (!closed) await c.close();
    }
  }, 60_000);
});
