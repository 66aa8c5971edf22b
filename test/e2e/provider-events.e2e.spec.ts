import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { parseKeyring } from '../../src/crypto/keyring';
import { TokenCipher } from '../../src/crypto/token-cipher';
import {
  countSubscriptionsUnderRetiredKeys,
  rotateSubscriptionKeys,
} from '../../src/provider-events/subscription-key-rotation';
import { InboundEventsRepository } from '../../src/provider-events/inbound-events.repository';
import { subscriptionSecretContext } from '../../src/provider-events/subscription-context';
import { startTestApp, TEST_KEY_A, TEST_KEY_B, TestApp } from '../support/app';
import { rawRequest } from '../support/raw-http';
import { within } from '../support/wait';

const WEBFLOW_SECRET = 'webflow-client-secret';
const LIGHTFUNNELS_SECRET = 'lightfunnels-client-secret';
const CF_APP_SECRET = 'clickfunnels-app-secret';

/** The signatures as each provider computes them (docs/events.md), written out here on purpose. */
const webflowHeaders = (body: string, secret = WEBFLOW_SECRET, at = Date.now()) => ({
  'content-type': 'application/json',
  'x-webflow-timestamp': String(at),
  'x-webflow-signature': createHmac('sha256', secret).update(`${at}:${body}`).digest('hex'),
});
const lightfunnelsHeaders = (body: string, secret = LIGHTFUNNELS_SECRET) => ({
  'content-type': 'application/json',
  'lightfunnels-hmac': createHmac('sha256', secret).update(body).digest('base64'),
});
const clickfunnelsHeaders = (body: string, secret: string, at = Math.floor(Date.now() / 1000)) => ({
  'content-type': 'application/json',
  'x-webhook-clickfunnels-timestamp': String(at),
  'x-webhook-clickfunnels-signature': createHmac('sha256', secret).update(`${at}.${body}`).digest('hex'),
});

interface Forwarded {
  event_type: string;
  connection_id: string | null;
  payload: { type: string; data: Record<string, unknown> };
}

/**
 * Inbound provider events (issue 24): a delivery to a subscription's URL is proven as its provider
 * signs it, stored once and forwarded as `provider.event` through the outbox; an uninstall revokes the
 * connection. Subscriptions are written straight into the table here (registering them at the
 * providers is the subscriptions API's part).
 */
describe('provider events: /events/{provider}/{token}', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        SANDBOX: 'false',
        WEBFLOW_CLIENT_ID: 'wf',
        WEBFLOW_CLIENT_SECRET: WEBFLOW_SECRET,
        KEAP_CLIENT_ID: 'keap',
        KEAP_CLIENT_SECRET: 'keap-secret',
        LIGHTFUNNELS_CLIENT_ID: 'lf',
        LIGHTFUNNELS_CLIENT_SECRET: LIGHTFUNNELS_SECRET,
        CLICKFUNNELS_CLIENT_ID: 'cf',
        CLICKFUNNELS_CLIENT_SECRET: 'cf-secret',
        CLICKFUNNELS_APP_WEBHOOK_SECRET: CF_APP_SECRET,
        WEBHOOK_URL: 'https://receiver.example/hooks',
        WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
        // Deliveries stay in the outbox, where the test reads them.
        WEBHOOK_DISPATCH_INTERVAL_MS: '0',
      },
    });
  }, 60_000);
  afterAll(() => t?.close());

  async function connection(provider: string, accountId: string): Promise<string> {
    const res = await t.api
      .post('/connections')
      .send({ provider, ownerId: `owner-${accountId}`, accountId, accessToken: `at-${accountId}` })
      .expect(201);
    return res.body.id as string;
  }

  /** Every URL token this file made: none may appear in a log line. */
  const tokens: string[] = [];

  /** A subscription row and its URL token (what the subscriptions API will hand the provider). */
  async function subscription(
    provider: string,
    connectionId: string,
    events: string[],
    options: { status?: string; secret?: string } = {},
  ): Promise<{ id: string; token: string }> {
    const id = randomUUID();
    const token = randomBytes(32).toString('base64url');
    tokens.push(token);
    const secret = options.secret
      ? t.app.get(TokenCipher).encrypt(options.secret, subscriptionSecretContext(id))
      : null;
    await t.dataSource.query(
      `INSERT INTO event_subscriptions (id, connection_id, provider, events, status, token_hash, secret)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        id,
        connectionId,
        provider,
        events,
        options.status ?? 'active',
        createHash('sha256').update(token).digest('hex'),
        secret,
      ],
    );
    return { id, token };
  }

  const forwarded = async (connectionId: string | null, type = 'provider.event'): Promise<Forwarded[]> =>
    t.dataSource.query(
      `SELECT event_type, connection_id, payload FROM webhook_deliveries
        WHERE event_type = $1 AND connection_id IS NOT DISTINCT FROM $2 ORDER BY created_at`,
      [type, connectionId],
    );
  const post = (path: string, headers: Record<string, string>, body: string) =>
    rawRequest(t.baseUrl, 'POST', path, headers, body);

  describe('Webflow (HMAC of "{ms}:{body}" with the client secret)', () => {
    let id: string;
    let sub: { id: string; token: string };
    beforeAll(async () => {
      id = await connection('webflow', 'site-owner-1');
      sub = await subscription('webflow', id, ['form_submission']);
    });

    it('a signed event is stored and forwarded once as provider.event with its connection; the retry is answered alike', async () => {
      const body = JSON.stringify({
        triggerType: 'form_submission',
        payload: { siteId: 's1', data: { email: 'a@b.c' } },
      });
      const headers = webflowHeaders(body);
      const first = await post(`/events/webflow/${sub.token}`, headers, body);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ received: true });
      const again = await post(`/events/webflow/${sub.token}`, headers, body);
      expect(again.status).toBe(200);
      const rows = await forwarded(id);
      expect(rows).toHaveLength(1);
      expect(rows[0].payload).toMatchObject({
        type: 'provider.event',
        data: {
          connectionId: id,
          ownerId: 'owner-site-owner-1',
          provider: 'webflow',
          subscriptionId: sub.id,
          event: 'form_submission',
          payload: { triggerType: 'form_submission', payload: { siteId: 's1', data: { email: 'a@b.c' } } },
        },
      });
    });

    it.each([
      [
        'a tampered body',
        (b: string) => ({ body: b.replace('s2', 's3'), headers: webflowHeaders(b) }),
        401,
        'invalid_signature',
      ],
      [
        'a wrong secret',
        (b: string) => ({ body: b, headers: webflowHeaders(b, 'not-the-secret') }),
        401,
        'invalid_signature',
      ],
      [
        'a timestamp ten minutes old',
        (b: string) => ({ body: b, headers: webflowHeaders(b, WEBFLOW_SECRET, Date.now() - 600_000) }),
        401,
        'event_too_old',
      ],
      [
        'no signature',
        (b: string) => ({ body: b, headers: { 'content-type': 'application/json' } }),
        401,
        'invalid_signature',
      ],
    ])('%s: refused, nothing forwarded', async (_name, make, status, code) => {
      const before = (await forwarded(id)).length;
      const { body, headers } = make(JSON.stringify({ triggerType: 'site_publish', payload: { siteId: 's2' } }));
      const res = await post(`/events/webflow/${sub.token}`, headers, body);
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
      expect(await forwarded(id)).toHaveLength(before);
    });

    it('an unknown or malformed token, an unknown provider, a provider without events: 404 not_found, the same answer', async () => {
      const body = JSON.stringify({ triggerType: 'site_publish' });
      for (const path of [
        `/events/webflow/${randomBytes(32).toString('base64url')}`,
        '/events/webflow/short',
        `/events/nope/${sub.token}`,
        `/events/webflow-x/${sub.token}`,
      ]) {
        const res = await post(path, webflowHeaders(body), body);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ code: 'not_found', message: 'Nothing receives events here' });
      }
      // Webflow posts nothing app-level: without a token there is nothing to prove it with.
      expect((await post('/events/webflow', webflowHeaders(body), body)).status).toBe(404);
    });
  });

  describe('Keap (the URL token is the proof; X-Hook-Secret handshake)', () => {
    it('the handshake is echoed and makes the subscription active; an event is forwarded once (deduped by its bytes)', async () => {
      const id = await connection('keap', 'keap-app-1');
      const sub = await subscription('keap', id, ['contact.add'], { status: 'pending_verification' });
      const handshake = await post(
        `/events/keap/${sub.token}`,
        { 'x-hook-secret': 'hs-123', 'content-type': 'application/json' },
        '',
      );
      expect(handshake.status).toBe(200);
      expect(handshake.headers['x-hook-secret']).toBe('hs-123');
      const [{ status }] = await t.dataSource.query('SELECT status FROM event_subscriptions WHERE id = $1', [sub.id]);
      expect(status).toBe('active');

      const body = JSON.stringify({ event_key: 'contact.add', object_type: 'contact', object_keys: [{ id: 7 }] });
      const headers = { 'content-type': 'application/json' };
      expect((await post(`/events/keap/${sub.token}`, headers, body)).status).toBe(200);
      expect((await post(`/events/keap/${sub.token}`, headers, body)).status).toBe(200);
      const rows = await forwarded(id);
      expect(rows).toHaveLength(1);
      expect(rows[0].payload.data).toMatchObject({ event: 'contact.add', connectionId: id, eventId: null });
    });
  });

  describe('uninstall', () => {
    it('Lightfunnels app/uninstalled (one event per URL): the connection is revoked, its tokens gone, connection.revoked sent', async () => {
      const id = await connection('lightfunnels', 'lf-acct-1');
      const sub = await subscription('lightfunnels', id, ['app/uninstalled']);
      const body = JSON.stringify({ node: { id: 'lf-acct-1' } });
      const res = await post(`/events/lightfunnels/${sub.token}`, lightfunnelsHeaders(body), body);
      expect(res.status).toBe(200);
      const connectionNow = await t.api.get(`/connections/${id}`).expect(200);
      expect(connectionNow.body.status).toBe('revoked');
      const creds = await t.api.get(`/connections/${id}/credentials`).expect(409);
      expect(creds.body.code).toBe('connection_revoked');
      expect(await forwarded(id, 'connection.revoked')).toHaveLength(1);
      expect((await forwarded(id)).map((r) => r.payload.data.event)).toEqual(['app/uninstalled']);
      // Signed with another secret: refused.
      const forged = await post(`/events/lightfunnels/${sub.token}`, lightfunnelsHeaders(body, 'wrong'), body);
      expect(forged.status).toBe(401);
    });

    it('ClickFunnels 2.0 platform_application.disconnected, app-level (signed with the app secret, mapped by account)', async () => {
      const id = await connection('clickfunnels', 'cf-ws-9');
      const body = JSON.stringify({
        event_type: 'platform_application.disconnected',
        event_id: 'evt-1',
        data: { workspace_id: 'cf-ws-9' },
      });
      const refused = await post('/events/clickfunnels', clickfunnelsHeaders(body, 'not-the-app-secret'), body);
      expect(refused.status).toBe(401);
      const res = await post('/events/clickfunnels', clickfunnelsHeaders(body, CF_APP_SECRET), body);
      expect(res.status).toBe(200);
      expect((await t.api.get(`/connections/${id}`).expect(200)).body.status).toBe('revoked');
      expect(await forwarded(id, 'connection.revoked')).toHaveLength(1);
      // The provider's retry (same event id, a new timestamp): answered, not forwarded again.
      expect((await post('/events/clickfunnels', clickfunnelsHeaders(body, CF_APP_SECRET), body)).status).toBe(200);
      expect(await forwarded(id)).toHaveLength(1);
    });

    it('ClickFunnels 2.0 to a subscription: signed with the endpoint secret stored (encrypted) with it', async () => {
      const id = await connection('clickfunnels', 'cf-ws-10');
      const sub = await subscription('clickfunnels', id, ['contact.created'], { secret: 'endpoint-secret' });
      const body = JSON.stringify({ event_type: 'contact.created', event_id: 'evt-2', data: { id: 1 } });
      expect(
        (await post(`/events/clickfunnels/${sub.token}`, clickfunnelsHeaders(body, CF_APP_SECRET), body)).status,
      ).toBe(401);
      expect(
        (await post(`/events/clickfunnels/${sub.token}`, clickfunnelsHeaders(body, 'endpoint-secret'), body)).status,
      ).toBe(200);
      expect((await forwarded(id)).map((r) => r.payload.data)).toEqual([
        expect.objectContaining({ event: 'contact.created', eventId: 'evt-2', subscriptionId: sub.id }),
      ]);
    });
  });

  describe('after review', () => {
    it('a delivery looks its subscription up once, before its body is read, and stores itself and its delivery in one transaction', async () => {
      const id = await connection('webflow', 'one-lookup');
      const sub = await subscription('webflow', id, ['site_publish']);
      const lookups = jest.spyOn(t.app.get(InboundEventsRepository), 'findSubscriptionByToken');
      try {
        const body = JSON.stringify({ triggerType: 'site_publish', payload: { siteId: 'one' } });
        expect((await post(`/events/webflow/${sub.token}`, webflowHeaders(body), body)).status).toBe(200);
        expect(lookups).toHaveBeenCalledTimes(1);
      } finally {
        lookups.mockRestore();
      }
      const [row] = await t.dataSource.query(
        `SELECT e.delivery_id, d.id AS delivery FROM inbound_events e LEFT JOIN webhook_deliveries d ON d.id = e.delivery_id
          WHERE e.connection_id = $1`,
        [id],
      );
      expect(row.delivery_id).toBe(row.delivery);
      expect(row.delivery).not.toBeNull();
    });

    it('the same bytes to two owners’ subscriptions are two events: each is forwarded to its own connection', async () => {
      const one = await connection('webflow', 'shared-site-a');
      const two = await connection('webflow', 'shared-site-b');
      const [a, b] = [
        await subscription('webflow', one, ['site_publish']),
        await subscription('webflow', two, ['site_publish']),
      ];
      const body = JSON.stringify({ triggerType: 'site_publish', payload: { siteId: 'shared' } });
      const headers = webflowHeaders(body);
      expect((await post(`/events/webflow/${a.token}`, headers, body)).status).toBe(200);
      expect((await post(`/events/webflow/${b.token}`, headers, body)).status).toBe(200);
      expect(await forwarded(one)).toHaveLength(1);
      expect(await forwarded(two)).toHaveLength(1);
    });

    it('U+0000 in a signed payload is 400 invalid_json (jsonb cannot hold it), an event name of 300 characters is stored cut', async () => {
      const id = await connection('webflow', 'odd-payloads');
      const sub = await subscription('webflow', id, ['form_submission']);
      const nul = JSON.stringify({ triggerType: 'form_submission', payload: { data: { name: 'a\u0000b' } } });
      const refused = await post(`/events/webflow/${sub.token}`, webflowHeaders(nul), nul);
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('invalid_json');
      const long = JSON.stringify({ triggerType: 'x'.repeat(300), payload: {} });
      expect((await post(`/events/webflow/${sub.token}`, webflowHeaders(long), long)).status).toBe(200);
      expect((await forwarded(id)).map((r) => String(r.payload.data.event).length)).toEqual([100]);
    });

    it('an uninstall, a reconnect, then the same uninstall body again: revoked again', async () => {
      const id = await connection('lightfunnels', 'lf-again');
      const sub = await subscription('lightfunnels', id, ['app/uninstalled']);
      const body = JSON.stringify({ node: { id: 'lf-again' } });
      expect((await post(`/events/lightfunnels/${sub.token}`, lightfunnelsHeaders(body), body)).status).toBe(200);
      expect((await t.api.get(`/connections/${id}`).expect(200)).body.status).toBe('revoked');
      // The user connects the same account again: the same connection, active with new tokens.
      const again = await t.api
        .post('/connections')
        .send({ provider: 'lightfunnels', ownerId: 'owner-lf-again', accountId: 'lf-again', accessToken: 'at-new' })
        .expect(200);
      expect(again.body.id).toBe(id);
      expect((await t.api.get(`/connections/${id}`).expect(200)).body.status).toBe('active');
      expect((await post(`/events/lightfunnels/${sub.token}`, lightfunnelsHeaders(body), body)).status).toBe(200);
      expect((await t.api.get(`/connections/${id}`).expect(200)).body.status).toBe('revoked');
    });

    it('a deleted connection’s subscription URL answers 404 and forwards nothing', async () => {
      const id = await connection('webflow', 'deleted-site');
      const sub = await subscription('webflow', id, ['site_publish']);
      await t.api.delete(`/connections/${id}`).expect(200);
      const body = JSON.stringify({ triggerType: 'site_publish', payload: { siteId: 'gone' } });
      const res = await post(`/events/webflow/${sub.token}`, webflowHeaders(body), body);
      expect(res.status).toBe(404);
      expect(await forwarded(null)).toEqual([]);
    });

    it('an unknown token is answered 404 before the body is read: a megabyte announced, a few bytes sent', async () => {
      let req: http.ClientRequest | undefined;
      const answer = new Promise<number>((resolve, reject) => {
        req = http.request(
          `${t.baseUrl}/events/webflow/${randomBytes(32).toString('base64url')}`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(1_000_000) } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', (error) => (req?.destroyed ? undefined : reject(error)));
        req.write('{"triggerType":');
      });
      try {
        // Without the check before the body, no answer comes until the body or the request timeout does.
        expect(await within(answer, 2_000, 'the 404')).toBe(404);
      } finally {
        req?.destroy();
      }
    });

    it('a subscription without a secret of its own is not proven with the app-level secret', async () => {
      const id = await connection('clickfunnels', 'cf-no-secret');
      const sub = await subscription('clickfunnels', id, ['contact.created']);
      const body = JSON.stringify({ event_type: 'contact.created', event_id: 'evt-9' });
      expect(
        (await post(`/events/clickfunnels/${sub.token}`, clickfunnelsHeaders(body, CF_APP_SECRET), body)).status,
      ).toBe(401);
    });

    it('keys:rotate re-encrypts subscription secrets; a secret under a removed key is refused, not a 500', async () => {
      const id = await connection('clickfunnels', 'cf-rotate');
      const sub = await subscription('clickfunnels', id, ['contact.created'], { secret: 'rotating-secret' });
      const rotated = new TokenCipher(parseKeyring(`${TEST_KEY_B},${TEST_KEY_A}`));
      expect(await countSubscriptionsUnderRetiredKeys(t.dataSource, rotated)).toBeGreaterThan(0);
      const report = await rotateSubscriptionKeys(t.dataSource, rotated);
      expect(report.failed).toEqual([]);
      expect(report.rotated).toBeGreaterThan(0);
      expect(await countSubscriptionsUnderRetiredKeys(t.dataSource, rotated)).toBe(0);
      const [{ secret }] = await t.dataSource.query('SELECT secret FROM event_subscriptions WHERE id = $1', [sub.id]);
      expect(rotated.decrypt(secret, subscriptionSecretContext(sub.id))).toBe('rotating-secret');
      // This app only has key A: the secret is now under a key it does not have.
      const body = JSON.stringify({ event_type: 'contact.created', event_id: 'evt-rot' });
      const res = await post(`/events/clickfunnels/${sub.token}`, clickfunnelsHeaders(body, 'rotating-secret'), body);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_signature');
    });
  });

  it('logs one line per delivery without the payload', () => {
    const lines = t.logs.entries().filter((l) => l.msg === 'provider event');
    expect(lines.length).toBeGreaterThan(5);
    expect(JSON.stringify(lines)).not.toContain('a@b.c');
  });

  it('no log line carries a subscription’s URL token (request lines show /events/{provider}/{token})', () => {
    const all = JSON.stringify(t.logs.entries());
    expect(tokens.length).toBeGreaterThan(5);
    for (const token of tokens) expect(all).not.toContain(token);
    expect(all).toContain('/events/webflow/{token}');
  });
});
