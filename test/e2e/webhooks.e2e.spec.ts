import { randomBytes } from 'node:crypto';
import { verifyWebhook } from '../../docs/examples/webhook-receiver';
import { freePort } from '../../src/database/embedded-postgres';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher';
import { startTestApp, TestApp } from '../support/app';
import { FakeProvider, RecordedRequest } from '../support/fake-provider';
import { addFault, connectThroughSandbox } from '../support/sandbox-flow';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/** Rotation in progress: the new secret first, the receiver below still knows only the old one. */
const NEW_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** What a receiver does: the dependency-free check of docs/examples, holding the old secret only. */
const verify = (req: RecordedRequest): boolean => verifyWebhook(SECRET, req.headers, req.rawBody).ok;

describe('outbound webhooks (Standard Webhooks, outbox in Postgres)', () => {
  const receiver = new FakeProvider();
  let t: TestApp;
  const dispatch = (now = new Date()) => t.app.get(WebhookDispatcher).runOnce(now);
  const events = () =>
    receiver.requestsTo('/hooks').map((r) => r.body as { type: string; data: Record<string, unknown> });

  beforeAll(async () => {
    await receiver.start();
    receiver.on('POST', '/hooks', { status: 204 });
    t = await startTestApp({
      port: await freePort(),
      env: {
        WEBHOOK_URL: `${receiver.url}/hooks`,
        WEBHOOK_SECRET: `${NEW_SECRET}, ${SECRET}`,
        WEBHOOK_DISPATCH_INTERVAL_MS: '0',
        WEBHOOK_MAX_ATTEMPTS: '3',
        REFRESH_MAX_FAILURES: '1',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });
  beforeEach(async () => {
    // Each test starts from an empty outbox: none depends on what an earlier one left behind.
    await t.dataSource.query('DELETE FROM webhook_deliveries');
    receiver.requests.length = 0;
    receiver.on('POST', '/hooks', { status: 204 });
  });

  it('signs connection.created and connection.reconnected and carries no token', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'wh-owner');
    await connectThroughSandbox(t, 'keap', 'wh-owner');
    expect(await dispatch()).toBe(2);
    const sent = receiver.requestsTo('/hooks');
    expect(sent.map((r) => (r.body as { type: string }).type)).toEqual([
      'connection.created',
      'connection.reconnected',
    ]);
    for (const req of sent) {
      expect(req.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);
      expect(Math.abs(Number(req.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(verify(req)).toBe(true);
      // One signature per secret: receivers on the old secret and on the new one both verify.
      expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(req.rawBody).not.toMatch(/sbx_keap_/);
    }
    expect(events()[0].data).toMatchObject({
      connectionId: id,
      provider: 'keap',
      ownerId: 'wh-owner',
      accountId: 'abwhowner',
      status: 'active',
    });
    // Delivered deliveries are not sent again.
    expect(await dispatch()).toBe(0);
  });

  it('reports needs_reauth, refresh_failed and deleted', async () => {
    const a = await connectThroughSandbox(t, 'keap', 'wh-reauth');
    const b = await connectThroughSandbox(t, 'keap', 'wh-failed');
    expect(await dispatch()).toBe(2);
    receiver.requests.length = 0;
    await addFault(t, 'keap', { endpoint: 'refresh', kind: 'invalid_grant' });
    await t.api.post(`/connections/${a}/refresh`).expect(409);
    await addFault(t, 'keap', { endpoint: 'refresh', kind: 'status_500' });
    await t.api.post(`/connections/${b}/refresh`).expect(502);
    await t.api.delete(`/connections/${b}`).expect(200);
    await dispatch();
    expect(events().map((e) => [e.type, e.data.connectionId])).toEqual([
      ['connection.needs_reauth', a],
      ['connection.refresh_failed', b],
      ['connection.deleted', b],
    ]);
    expect(events()[0].data.error).toMatchObject({ code: 'invalid_grant' });
  });

  it('retries a failing receiver with backoff, loses nothing, and can redeliver a failed delivery', async () => {
    receiver.on('POST', '/hooks', { status: 500 });
    const id = await connectThroughSandbox(t, 'webflow', 'wh-retry');
    const now = Date.now();
    expect(await dispatch(new Date(now))).toBe(1);
    // Not due again before the backoff.
    expect(await dispatch(new Date(now + 100))).toBe(0);
    let list = (await t.api.get('/webhook-deliveries').query({ status: 'pending' }).expect(200)).body.data;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ eventType: 'connection.created', connectionId: id, attempts: 1, lastStatus: 500 });
    expect(Date.parse(list[0].nextAttemptAt)).toBeGreaterThan(now + 1000);
    expect(await dispatch(new Date(now + 3_600_000))).toBe(1);
    expect(await dispatch(new Date(now + 7_200_000))).toBe(1);
    list = (await t.api.get('/webhook-deliveries').query({ status: 'failed' }).expect(200)).body.data;
    expect(list).toHaveLength(1);
    expect(list[0].attempts).toBe(3);
    expect(receiver.requestsTo('/hooks')).toHaveLength(3);
    // The receiver is fixed: redeliver.
    receiver.on('POST', '/hooks', { status: 200 });
    const redelivered = await t.api.post(`/webhook-deliveries/${list[0].id}/redeliver`).expect(200);
    expect(redelivered.body.status).toBe('pending');
    expect(await dispatch()).toBe(1);
    const done = (await t.api.get('/webhook-deliveries').query({ status: 'delivered', limit: 100 }).expect(200)).body
      .data;
    expect(done.map((d: { id: string }) => d.id)).toContain(list[0].id);
    const all = receiver.requestsTo('/hooks');
    // Every attempt of one delivery carries the same webhook-id, so the receiver can deduplicate.
    expect(new Set(all.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(all.every(verify)).toBe(true);
  });

  it('validates its API input', async () => {
    expect((await t.api.get('/webhook-deliveries').query({ status: 'lost' }).expect(400)).body.code).toBe(
      'validation_failed',
    );
    expect(
      (await t.api.post('/webhook-deliveries/00000000-0000-4000-8000-000000000000/redeliver').expect(404)).body.code,
    ).toBe('webhook_delivery_not_found');
    await t.anon.get('/webhook-deliveries').expect(401);
  });

  it('purges delivered and failed deliveries older than WEBHOOK_RETENTION_DAYS, keeps pending and recent ones', async () => {
    const insert = (status: string, ageDays: number) =>
      t.dataSource.query(
        `INSERT INTO webhook_deliveries (id, event_type, connection_id, payload, status, next_attempt_at, created_at)
         VALUES (gen_random_uuid(), 'connection.created', NULL, '{}', $1, now(), now() - make_interval(days => $2))`,
        [status, ageDays],
      );
    await insert('delivered', 31);
    await insert('failed', 45);
    await insert('pending', 40);
    await insert('delivered', 29);
    expect(await t.app.get(WebhookDispatcher).purge()).toBe(2);
    const left = await t.dataSource.query(
      `SELECT status, extract(day FROM now() - created_at)::int AS age FROM webhook_deliveries ORDER BY age`,
    );
    expect(left).toEqual([
      { status: 'delivered', age: 29 },
      { status: 'pending', age: 40 },
    ]);
  });
});

describe('without WEBHOOK_URL', () => {
  it('writes no deliveries', async () => {
    const t = await startTestApp({ port: await freePort() });
    try {
      await connectThroughSandbox(t, 'keap', 'no-hooks');
      expect((await t.api.get('/webhook-deliveries').expect(200)).body.data).toEqual([]);
    } finally {
      await t.close();
    }
  }, 30_000);
});
