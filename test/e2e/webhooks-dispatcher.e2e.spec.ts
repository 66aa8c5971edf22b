import { randomBytes } from 'node:crypto';
import { freePort } from '../../src/database/embedded-postgres';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher';
import { startTestApp, TestApp } from '../support/app';
import { createTestDatabase, rawClient } from '../support/database';
import { FakeProvider } from '../support/fake-provider';
import { settled, watchHook } from '../support/hooks';
import { gate, waitFor, within } from '../support/wait';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** A connection made through the API (no browser flow): one `connection.created` event. */
async function createConnection(t: TestApp, ownerId: string): Promise<string> {
  const res = await t.api
    .post('/connections')
    .send({ provider: 'keap', ownerId, accessToken: `at-${ownerId}`, refreshToken: `rt-${ownerId}`, expiresIn: 3600 })
    .expect(201);
  return res.body.id;
}

const deliveries = (t: TestApp) =>
  t.dataSource.query(
    `SELECT event_type, connection_id, status, attempts, lease_owner FROM webhook_deliveries ORDER BY created_at`,
  );

describe('the webhook dispatcher', () => {
  const receiver = new FakeProvider();
  const webhookEnv = (interval: number) => ({
    WEBHOOK_URL: `${receiver.url}/hooks`,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_DISPATCH_INTERVAL_MS: String(interval),
  });

  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.on('POST', '/hooks', { status: 204 });
  });

  it('runs on its own timer (WEBHOOK_DISPATCH_INTERVAL_MS): a delivery arrives without anyone calling runOnce', async () => {
    const t = await startTestApp({ env: webhookEnv(100) });
    try {
      const id = await createConnection(t, 'timer-owner');
      await waitFor(() => receiver.requestsTo('/hooks').length > 0, 'a delivery sent by the timer', 5000);
      const [sent] = receiver.requestsTo('/hooks');
      expect(sent.body).toMatchObject({ type: 'connection.created', data: { connectionId: id } });
      await waitFor(async () => (await deliveries(t))[0]?.status === 'delivered', 'the delivery recorded', 5000);
      // And it keeps running: the next event goes out too.
      await createConnection(t, 'timer-owner-2');
      await waitFor(() => receiver.requestsTo('/hooks').length === 2, 'the second delivery', 5000);
    } finally {
      await t.close();
    }
  });

  it('sends WEBHOOK_DISPATCH_CONCURRENCY deliveries at once, and drains more than one claim (50) in a round', async () => {
    const t = await startTestApp({ env: { ...webhookEnv(0), WEBHOOK_DISPATCH_CONCURRENCY: '4' } });
    try {
      const count = 55;
      for (let i = 0; i < count; i++) await createConnection(t, `concurrent-${i}`);
      let inFlight = 0;
      let most = 0;
      const held = gate();
      receiver.on('POST', '/hooks', async () => {
        most = Math.max(most, ++inFlight);
        await held.promise;
        inFlight--;
        return { status: 204 };
      });
      const round = t.app.get(WebhookDispatcher).runOnce();
      await waitFor(() => inFlight === 4, 'four deliveries held by the receiver at once');
      held.release();
      expect(await within(round, 10_000, 'the round')).toBe(count);
      expect(most).toBe(4);
      expect((await deliveries(t)).map((d: { status: string }) => d.status)).toEqual(Array(count).fill('delivered'));
    } finally {
      await t.close();
    }
  });

  it('two replicas dispatching one outbox at once: every delivery arrives exactly once', async () => {
    const databaseUrl = await createTestDatabase();
    const a = await startTestApp({ databaseUrl, env: webhookEnv(0) });
    const b = await startTestApp({ databaseUrl, env: webhookEnv(0) });
    try {
      const count = 150;
      for (let i = 0; i < count; i++) await createConnection(a, `replicas-${i}`);
      // A receiver that takes a moment, so both replicas are sending at the same time.
      receiver.on('POST', '/hooks', { status: 204, delayMs: 5 });
      /** Claims and sends until a claim comes back empty; returns how many it attempted. */
      const drain = async (t: TestApp) => {
        let attempted = 0;
        for (let n; (n = await t.app.get(WebhookDispatcher).runOnce()) > 0;) attempted += n;
        return attempted;
      };
      const [byA, byB] = await Promise.all([drain(a), drain(b)]);
      expect(byA + byB).toBe(count);
      // Both took part.
      expect(byA).toBeGreaterThan(0);
      expect(byB).toBeGreaterThan(0);
      const ids = receiver.requestsTo('/hooks').map((r) => r.headers['webhook-id']);
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);
      const rows = await deliveries(a);
      expect(rows).toHaveLength(count);
      expect(
        rows.every((r: { status: string; attempts: number }) => r.status === 'delivered' && r.attempts === 1),
      ).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);

  it('on shutdown, a delivery in flight finishes and is recorded before the database closes', async () => {
    const t = await startTestApp({ env: webhookEnv(0) });
    let closed = false;
    try {
      const id = await createConnection(t, 'shutdown-owner');
      const held = gate();
      receiver.on('POST', '/hooks', async () => {
        await held.promise;
        return { status: 204 };
      });
      const dispatcher = t.app.get(WebhookDispatcher);
      const dispatching = dispatcher.runOnce();
      await receiver.waitForRequests('/hooks', 1);
      // The close reaches the dispatcher's shutdown hook while the receiver holds its answer. Once every
      // job that needs no answer has had its turn, the hook must still be waiting: only then does the
      // answer come (the order is forced, not timed).
      const hook = watchHook(dispatcher, 'beforeApplicationShutdown');
      const order: string[] = [];
      const closing = t.close().then(() => order.push('closed'));
      void hook.finished.then(() => order.push('hook finished'));
      await within(hook.entered, 10_000, 'the close reaching the dispatcher');
      await settled();
      expect(hook.done).toBe(false);
      order.push('answered');
      held.release();
      expect(await within(dispatching, 10_000, 'the dispatch round')).toBe(1);
      await within(closing, 10_000, 'app.close');
      closed = true;
      expect(order).toEqual(['answered', 'hook finished', 'closed']);
      const db = await rawClient(t.databaseUrl);
      try {
        const { rows } = await db.query(
          'SELECT status, attempts, last_status, lease_owner FROM webhook_deliveries WHERE connection_id = $1',
          [id],
        );
        expect(rows).toEqual([{ status: 'delivered', attempts: 1, last_status: 204, lease_owner: null }]);
      } finally {
        await db.end();
      }
    } finally {
      if (!closed) await within(t.close(), 5000, 'app.close').catch(() => undefined);
    }
  });
});

describe('the outbox row commits or rolls back with its change', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      port: await freePort(),
      env: { WEBHOOK_URL: 'http://127.0.0.1:9/hooks', WEBHOOK_SECRET: SECRET, WEBHOOK_DISPATCH_INTERVAL_MS: '0' },
    });
    // Fails a transaction at its COMMIT, after every statement in it (the outbox insert included) has
    // run: a deferred constraint trigger, only for the rows the tests pick.
    await t.dataSource.query(`
      CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$`);
    await t.dataSource.query(`
      CREATE CONSTRAINT TRIGGER fail_created_at_commit AFTER INSERT ON connections
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.owner_id LIKE 'rollback-%') EXECUTE FUNCTION fail_at_commit()`);
    await t.dataSource.query(`
      CREATE CONSTRAINT TRIGGER fail_reauth_at_commit AFTER UPDATE ON connections
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.status = 'needs_reauth' AND NEW.owner_id LIKE 'rollback-%') EXECUTE FUNCTION fail_at_commit()`);
  }, 60_000);
  afterAll(() => t.close());
  beforeEach(() => t.dataSource.query('DELETE FROM webhook_deliveries'));

  const connect = (ownerId: string, refreshToken = 'rt-unknown-to-the-simulator') =>
    t.api.post('/connections').send({ provider: 'keap', ownerId, accessToken: 'at', refreshToken, expiresIn: 3600 });

  it('a creation whose transaction fails after the outbox insert leaves no connection and no delivery', async () => {
    expect((await connect('rollback-create')).status).toBe(500);
    expect(await t.dataSource.query(`SELECT id FROM connections WHERE owner_id = 'rollback-create'`)).toEqual([]);
    expect(await deliveries(t)).toEqual([]);
    // The same change that commits has its event.
    const ok = await connect('committed-create').expect(201);
    expect(await deliveries(t)).toEqual([
      expect.objectContaining({ event_type: 'connection.created', connection_id: ok.body.id, status: 'pending' }),
    ]);
  });

  it('a status change whose transaction fails after the outbox insert leaves the status and no delivery', async () => {
    // A refresh token the simulator does not know: the refresh answers invalid_grant, which moves the
    // connection to needs_reauth and queues connection.needs_reauth in that same transaction.
    const control = (await connect('committed-reauth').expect(201)).body.id;
    await t.api.post(`/connections/${control}/refresh`).expect(409);
    expect((await deliveries(t)).map((d: { event_type: string }) => d.event_type)).toEqual([
      'connection.created',
      'connection.needs_reauth',
    ]);
    await t.dataSource.query('DELETE FROM webhook_deliveries');

    // The same with the commit refused (the creation itself is let through first).
    await t.dataSource.query('ALTER TABLE connections DISABLE TRIGGER fail_created_at_commit');
    let id: string;
    try {
      id = (await connect('rollback-reauth').expect(201)).body.id;
    } finally {
      await t.dataSource.query('ALTER TABLE connections ENABLE TRIGGER fail_created_at_commit');
    }
    await t.dataSource.query('DELETE FROM webhook_deliveries');
    expect((await t.api.post(`/connections/${id}/refresh`)).status).toBe(500);
    const [row] = await t.dataSource.query(
      'SELECT status, refresh_failures, last_error FROM connections WHERE id = $1',
      [id],
    );
    expect(row).toEqual({ status: 'active', refresh_failures: 0, last_error: null });
    expect(await deliveries(t)).toEqual([]);
  });
});
