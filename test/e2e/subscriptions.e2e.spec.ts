import { createHash, createHmac } from 'node:crypto';
import { ConnectionLifecycleRepository } from '../../src/connections/persistence/connection-lifecycle.repository';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { MetricsService } from '../../src/metrics/metrics.service';
import { SubscriptionRemovalWorker } from '../../src/provider-events/subscription-removal-worker';
import { SubscriptionsService } from '../../src/provider-events/subscriptions.service';
import { ConnectionsRepository } from '../../src/connections/persistence/connections.repository';
import { RevocationWorker } from '../../src/revocations/revocation-worker';
import { subscriptionSecretContext, subscriptionTokenContext } from '../../src/provider-events/subscription-context';
import { parseKeyring } from '../../src/crypto/keyring';
import { rotateSubscriptionKeys } from '../../src/provider-events/subscription-key-rotation';
import { startTestApp, TEST_KEY_A, TEST_KEY_B, TestApp } from '../support/app';
import { FakeProvider, RecordedRequest } from '../support/fake-provider';
import { rawRequest } from '../support/raw-http';

const WEBFLOW_SECRET = 'webflow-client-secret';
const LIGHTFUNNELS_SECRET = 'lightfunnels-client-secret';
const CF_ENDPOINT_SECRET = 'cf-endpoint-secret-returned-once';

/** Each provider's API base on the one stand-in, as PROVIDERS.md's defaults end (…/api/v2, …/v1, …/v2). */
const CF = '/cf/api/v2';
const KEAP = '/keap/crm/rest/v1';
const LF = '/lf/api/v2';
const WF = '/wf/v2';

const TOKEN_URL = /^http:\/\/[^/]+\/events\/([a-z-]+)\/([A-Za-z0-9_-]{43})$/;

interface Forwarded {
  connection_id: string | null;
  payload: { type: string; data: Record<string, unknown> };
}

/**
 * The subscriptions API (issue 24): POST /connections/{id}/subscriptions registers the documented
 * webhook at each provider (a stand-in here, recording what it was sent), a delivery signed as the
 * provider signs it to the URL it was given is forwarded as provider.event, DELETE unregisters it.
 */
describe('subscriptions: POST|GET|DELETE /connections/{id}/subscriptions', () => {
  let t: TestApp;
  let fake: FakeProvider;
  const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

  beforeAll(async () => {
    fake = await new FakeProvider().start();
    t = await startTestApp({
      env: {
        SANDBOX: 'false',
        WEBFLOW_CLIENT_ID: 'wf',
        WEBFLOW_CLIENT_SECRET: WEBFLOW_SECRET,
        WEBFLOW_API_BASE_URL: `${fake.url}${WF}`,
        KEAP_CLIENT_ID: 'keap',
        KEAP_CLIENT_SECRET: 'keap-secret',
        KEAP_API_BASE_URL: `${fake.url}${KEAP}`,
        LIGHTFUNNELS_CLIENT_ID: 'lf',
        LIGHTFUNNELS_CLIENT_SECRET: LIGHTFUNNELS_SECRET,
        LIGHTFUNNELS_API_BASE_URL: `${fake.url}${LF}`,
        CLICKFUNNELS_CLIENT_ID: 'cf',
        CLICKFUNNELS_CLIENT_SECRET: 'cf-secret',
        CLICKFUNNELS_API_BASE_URL: `${fake.url}${CF}`,
        CLICKFUNNELS_CLASSIC_CLIENT_ID: 'cfc',
        CLICKFUNNELS_CLASSIC_CLIENT_SECRET: 'cfc-secret',
        WEBHOOK_URL: 'https://receiver.example/hooks',
        WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
        WEBHOOK_DISPATCH_INTERVAL_MS: '0',
        WEBFLOW_REVOKE_URL: `${fake.url}/wf/oauth/revoke_authorization`,
        // The tests drive both workers with runOnce(now).
        EVENTS_REMOVAL_INTERVAL_SECONDS: '0',
        REVOCATION_INTERVAL_SECONDS: '0',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  async function connection(provider: string, accountId: string, extra: Record<string, string> = {}): Promise<string> {
    const res = await t.api
      .post('/connections')
      .send({ provider, ownerId: `owner-${accountId}`, accountId, accessToken: `at-${accountId}`, ...extra })
      .expect(201);
    return res.body.id as string;
  }

  /** The registered URL's path (what the provider would post to) and its token. */
  function registeredUrl(url: unknown, provider: string): { path: string; token: string } {
    const match = TOKEN_URL.exec(String(url));
    expect(match?.[1]).toBe(provider);
    return { path: new URL(String(url)).pathname, token: match![2] };
  }

  interface Row {
    id: string;
    events: string[];
    status: string;
    token_hash: string;
    remote_ids: string[];
    secret: string | null;
  }
  const rows = (connectionId: string) =>
    t.dataSource.query<Row[]>(
      `SELECT id, events, status, token_hash, remote_ids, secret FROM event_subscriptions WHERE connection_id = $1`,
      [connectionId],
    );
  const forwarded = (connectionId: string) =>
    t.dataSource.query<Forwarded[]>(
      `SELECT connection_id, payload FROM webhook_deliveries WHERE event_type = 'provider.event' AND connection_id = $1`,
      [connectionId],
    );
  const post = (path: string, headers: Record<string, string>, body: string) =>
    rawRequest(t.baseUrl, 'POST', path, headers, body);
  const bearer = (req: RecordedRequest) => req.headers.authorization;

  it('ClickFunnels 2.0: one outgoing endpoint for the events; its webhook_secret stored encrypted signs the deliveries; DELETE removes it', async () => {
    const id = await connection('clickfunnels', '4567', { workspaceId: '4567' });
    const create = `${CF}/workspaces/4567/webhooks/outgoing/endpoints`;
    fake.on('POST', create, { status: 201, json: { id: 901, name: 'x', webhook_secret: CF_ENDPOINT_SECRET } });
    const res = await t.api
      .post(`/connections/${id}/subscriptions`)
      .send({ events: ['contact.created', 'order.completed'] })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.any(String) as string,
      connectionId: id,
      provider: 'clickfunnels',
      events: ['contact.created', 'order.completed'],
      status: 'active',
      createdAt: expect.any(String) as string,
    });
    const [seen] = fake.requestsTo(create);
    expect(seen.method).toBe('POST');
    expect(bearer(seen)).toBe('Bearer at-4567');
    const endpoint = (seen.body as { webhooks_outgoing_endpoint: Record<string, unknown> }).webhooks_outgoing_endpoint;
    expect(endpoint).toEqual({
      url: expect.any(String) as string,
      name: expect.any(String) as string,
      event_type_ids: ['contact.created', 'order.completed'],
    });
    const { path, token } = registeredUrl(endpoint.url, 'clickfunnels');

    const [row] = await rows(id);
    expect(row.id).toBe(res.body.id);
    expect(row.token_hash).toBe(sha256(token));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.remote_ids).toEqual(['901']);
    expect(row.secret).not.toContain(CF_ENDPOINT_SECRET);
    expect(t.app.get(TokenCipher).decrypt(row.secret!, subscriptionSecretContext(row.id))).toBe(CF_ENDPOINT_SECRET);

    const body = JSON.stringify({ event_type: 'contact.created', event_id: 'cf-evt-1', workspace_id: 4567, data: {} });
    const at = Math.floor(Date.now() / 1000);
    const signed = {
      'content-type': 'application/json',
      'x-webhook-clickfunnels-timestamp': String(at),
      'x-webhook-clickfunnels-signature': createHmac('sha256', CF_ENDPOINT_SECRET)
        .update(`${at}.${body}`)
        .digest('hex'),
    };
    expect((await post(path, signed, body)).status).toBe(200);
    const [event] = await forwarded(id);
    expect(event.payload.data).toMatchObject({ connectionId: id, subscriptionId: row.id, event: 'contact.created' });

    fake.on('DELETE', `${CF}/webhooks/outgoing/endpoints/901`, { status: 204 });
    const gone = await t.api.delete(`/connections/${id}/subscriptions/${row.id}`).expect(200);
    expect(gone.body).toEqual({ id: row.id, removedAtProvider: true });
    const [removal] = fake.requestsTo(`${CF}/webhooks/outgoing/endpoints/901`);
    expect(removal.method).toBe('DELETE');
    expect(bearer(removal)).toBe('Bearer at-4567');
    expect(await rows(id)).toEqual([]);
    // Its URL is dead with it.
    expect((await post(path, signed, body)).status).toBe(404);
  });

  it('Lightfunnels: createWebhook for one event (several: 400), the delivery takes its type from the subscription; deleteWebhook', async () => {
    const id = await connection('lightfunnels', 'lf-acct-7');
    const queries: string[] = [];
    fake.on('POST', LF, (req) => {
      const query = String(req.body.query);
      queries.push(query);
      if (query.includes('createWebhook')) return { json: { data: { createWebhook: { id: 'lfw-1' } } } };
      if (query.includes('deleteWebhook')) return { json: { data: { deleteWebhook: 'lfw-1' } } };
      return { json: { errors: [{ message: 'unexpected' }] } };
    });
    const several = await t.api
      .post(`/connections/${id}/subscriptions`)
      .send({ events: ['order/created', 'order/confirmed'] })
      .expect(400);
    expect(several.body.code).toBe('validation_failed');
    expect(several.body.message).toMatch(/exactly one event/);
    expect(queries).toEqual([]);

    const res = await t.api
      .post(`/connections/${id}/subscriptions`)
      .send({ events: ['order/created'] })
      .expect(201);
    expect(res.body.status).toBe('active');
    const [seen] = fake.requestsTo(LF);
    expect(bearer(seen)).toBe('Bearer at-lf-acct-7');
    const url = /url: ("[^"]+")/.exec(queries[0])?.[1];
    expect(queries[0]).toMatch(
      /^mutation \{ createWebhook\(node: \{type: "order\/created", url: "[^"]+", version: "v2", settings: \{\}\}\) \{ id \} \}$/,
    );
    const { path } = registeredUrl(JSON.parse(url!), 'lightfunnels');

    const body = JSON.stringify({ node: { id: 31, account_id: 'lf-acct-7', total: 10 } });
    const headers = {
      'content-type': 'application/json',
      'lightfunnels-hmac': createHmac('sha256', LIGHTFUNNELS_SECRET).update(body).digest('base64'),
    };
    expect((await post(path, headers, body)).status).toBe(200);
    expect((await forwarded(id)).map((e) => e.payload.data.event)).toEqual(['order/created']);

    await t.api.delete(`/connections/${id}/subscriptions/${res.body.id}`).expect(200);
    expect(queries[1]).toBe('mutation { deleteWebhook(id: "lfw-1") }');
    expect(await rows(id)).toEqual([]);
  });

  it('Lightfunnels webhooks_duplicated: 409 event_already_subscribed, no row left', async () => {
    const id = await connection('lightfunnels', 'lf-acct-8');
    fake.on('POST', LF, {
      json: { data: null, errors: [{ message: 'webhooks_duplicated', extensions: { code: 'webhooks_duplicated' } }] },
    });
    const res = await t.api
      .post(`/connections/${id}/subscriptions`)
      .send({ events: ['order/created'] })
      .expect(409);
    expect(res.body.code).toBe('event_already_subscribed');
    expect(await rows(id)).toEqual([]);
  });

  describe('Keap: one REST hook per event, X-Hook-Secret handshake', () => {
    const hooks = `${KEAP}/hooks`;
    let id: string;
    beforeAll(async () => {
      id = await connection('keap', 'kp123');
    });

    it('a hook per event; the handshake Keap sends before its create call returns makes the subscription active; DELETE removes each hook', async () => {
      let handshakes = 0;
      fake.on('POST', hooks, async (req) => {
        const { eventKey, hookUrl } = req.body as { eventKey: string; hookUrl: string };
        // Keap verifies the URL while the create call is still open.
        const answer = await post(
          new URL(hookUrl).pathname,
          { 'x-hook-secret': `hs-${eventKey}`, 'content-type': 'application/json' },
          '',
        );
        if (answer.headers['x-hook-secret'] === `hs-${eventKey}`) handshakes++;
        return { json: { key: `key-${eventKey}`, eventKey, hookUrl, status: 'Unverified' } };
      });
      const before = fake.requestsTo(hooks).length;
      const res = await t.api
        .post(`/connections/${id}/subscriptions`)
        .send({ events: ['contact.add', 'contact.edit', 'contact.add'] })
        .expect(201);
      expect(res.body).toMatchObject({ events: ['contact.add', 'contact.edit'], status: 'active' });
      expect(handshakes).toBe(2);
      const seen = fake.requestsTo(hooks).slice(before);
      expect(seen.map((r) => [r.method, bearer(r), (r.body as { eventKey: string }).eventKey])).toEqual([
        ['POST', 'Bearer at-kp123', 'contact.add'],
        ['POST', 'Bearer at-kp123', 'contact.edit'],
      ]);
      const { path, token } = registeredUrl(seen[0].body.hookUrl, 'keap');
      expect(seen[1].body.hookUrl).toBe(seen[0].body.hookUrl);
      const [row] = (await rows(id)).filter((r) => r.id === res.body.id);
      expect(row).toMatchObject({
        token_hash: sha256(token),
        remote_ids: ['key-contact.add', 'key-contact.edit'],
        secret: null,
      });

      const body = JSON.stringify({ event_key: 'contact.edit', object_type: 'contact', object_keys: [{ id: 9 }] });
      expect((await post(path, { 'content-type': 'application/json' }, body)).status).toBe(200);
      expect((await forwarded(id)).map((e) => e.payload.data.event)).toEqual(['contact.edit']);

      fake.on('DELETE', `${hooks}/key-contact.add`, { status: 204 });
      fake.on('DELETE', `${hooks}/key-contact.edit`, { status: 404, json: { message: 'gone already' } });
      await t.api.delete(`/connections/${id}/subscriptions/${res.body.id}`).expect(200);
      expect(fake.requestsTo(`${hooks}/key-contact.add`).map((r) => [r.method, bearer(r)])).toEqual([
        ['DELETE', 'Bearer at-kp123'],
      ]);
      expect(fake.requestsTo(`${hooks}/key-contact.edit`)).toHaveLength(1);
      expect(await rows(id)).toEqual([]);
    });

    it('without the handshake yet: pending_verification, until it arrives', async () => {
      fake.on('POST', hooks, (req) => ({ json: { key: 'key-late', ...req.body, status: 'Unverified' } }));
      const res = await t.api
        .post(`/connections/${id}/subscriptions`)
        .send({ events: ['order.add'] })
        .expect(201);
      expect(res.body.status).toBe('pending_verification');
      const { path } = registeredUrl(fake.requestsTo(hooks).at(-1)!.body.hookUrl, 'keap');
      expect((await post(path, { 'x-hook-secret': 'late', 'content-type': 'application/json' }, '')).status).toBe(200);
      const list = await t.api.get(`/connections/${id}/subscriptions`).expect(200);
      expect(list.body.data).toEqual([
        expect.objectContaining({ id: res.body.id, status: 'active', events: ['order.add'] }),
      ]);
    });

    it('the provider fails on the second hook: 502, the first hook removed again, no row left', async () => {
      fake.on('POST', hooks, (req) =>
        (req.body as { eventKey: string }).eventKey === 'task.add'
          ? { status: 500, json: { message: 'boom' } }
          : { json: { key: 'key-first', ...req.body, status: 'Verified' } },
      );
      fake.on('DELETE', `${hooks}/key-first`, { status: 204 });
      const before = (await rows(id)).length;
      const res = await t.api
        .post(`/connections/${id}/subscriptions`)
        .send({ events: ['note.add', 'task.add'] })
        .expect(502);
      expect(res.body.code).toBe('provider_unavailable');
      expect(fake.requestsTo(`${hooks}/key-first`).map((r) => r.method)).toEqual(['DELETE']);
      expect(await rows(id)).toHaveLength(before);
    });

    it('an unknown event name: 400 naming it, nothing registered', async () => {
      const before = fake.requests.length;
      const res = await t.api
        .post(`/connections/${id}/subscriptions`)
        .send({ events: ['contact.add', 'contact.explode'] })
        .expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.message).toContain('"contact.explode"');
      expect(fake.requests.length).toBe(before);
    });
  });

  it('Webflow: a webhook per authorized site and event (sites from token/introspect); DELETE removes each', async () => {
    const id = await connection('webflow', 'wf-user-1');
    fake.on('GET', `${WF}/token/introspect`, {
      json: { authorization: { authorizedTo: { siteIds: ['site-a', 'site-b'], workspaceIds: [], userIds: [] } } },
    });
    let n = 0;
    for (const site of ['site-a', 'site-b'])
      fake.on('POST', `${WF}/sites/${site}/webhooks`, (req) => ({ json: { id: `wh-${site}-${++n}`, ...req.body } }));
    const res = await t.api
      .post(`/connections/${id}/subscriptions`)
      .send({ events: ['form_submission', 'site_publish'] })
      .expect(201);
    expect(res.body.status).toBe('active');
    expect(bearer(fake.requestsTo(`${WF}/token/introspect`)[0])).toBe('Bearer at-wf-user-1');
    const created = [
      ...fake.requestsTo(`${WF}/sites/site-a/webhooks`),
      ...fake.requestsTo(`${WF}/sites/site-b/webhooks`),
    ];
    expect(created.map((r) => [r.method, bearer(r), r.body.triggerType])).toEqual([
      ['POST', 'Bearer at-wf-user-1', 'form_submission'],
      ['POST', 'Bearer at-wf-user-1', 'site_publish'],
      ['POST', 'Bearer at-wf-user-1', 'form_submission'],
      ['POST', 'Bearer at-wf-user-1', 'site_publish'],
    ]);
    const { path } = registeredUrl(created[0].body.url, 'webflow');
    const [row] = await rows(id);
    expect(row.remote_ids).toHaveLength(4);

    const body = JSON.stringify({ triggerType: 'form_submission', payload: { siteId: 'site-a', data: {} } });
    const at = Date.now();
    const headers = {
      'content-type': 'application/json',
      'x-webflow-timestamp': String(at),
      'x-webflow-signature': createHmac('sha256', WEBFLOW_SECRET).update(`${at}:${body}`).digest('hex'),
    };
    expect((await post(path, headers, body)).status).toBe(200);
    expect((await forwarded(id)).map((e) => e.payload.data)).toEqual([
      expect.objectContaining({ connectionId: id, event: 'form_submission', subscriptionId: row.id }),
    ]);

    for (const remote of row.remote_ids) fake.on('DELETE', `${WF}/webhooks/${remote}`, { status: 204 });
    await t.api.delete(`/connections/${id}/subscriptions/${row.id}`).expect(200);
    for (const remote of row.remote_ids)
      expect(fake.requestsTo(`${WF}/webhooks/${remote}`).map((r) => [r.method, bearer(r)])).toEqual([
        ['DELETE', 'Bearer at-wf-user-1'],
      ]);
    expect(await rows(id)).toEqual([]);
  });

  it('Webflow without an authorized site: 422 events_not_supported', async () => {
    const id = await connection('webflow', 'wf-user-2');
    fake.on('GET', `${WF}/token/introspect`, { json: { authorization: { authorizedTo: { siteIds: [] } } } });
    const res = await t.api
      .post(`/connections/${id}/subscriptions`)
      .send({ events: ['site_publish'] })
      .expect(422);
    expect(res.body.code).toBe('events_not_supported');
    expect(await rows(id)).toEqual([]);
  });

  it('ClickFunnels Classic: 422 events_not_supported', async () => {
    const id = await connection('clickfunnels-classic', 'default');
    const res = await t.api
      .post(`/connections/${id}/subscriptions`)
      .send({ events: ['order.created'] })
      .expect(422);
    expect(res.body.code).toBe('events_not_supported');
  });

  it('a revoked connection: 409 connection_revoked; its subscriptions are deleted without a provider call', async () => {
    const id = await connection('keap', 'kp-revoked');
    fake.on('POST', `${KEAP}/hooks`, (req) => ({ json: { key: 'key-rv', ...req.body, status: 'Verified' } }));
    const sub = await t.api
      .post(`/connections/${id}/subscriptions`)
      .send({ events: ['task.add'] })
      .expect(201);
    await t.app.get(ConnectionLifecycleRepository).markRevokedByProvider(id, new Date(), 'test');
    const res = await t.api
      .post(`/connections/${id}/subscriptions`)
      .send({ events: ['task.add'] })
      .expect(409);
    expect(res.body.code).toBe('connection_revoked');
    const before = fake.requests.length;
    const gone = await t.api.delete(`/connections/${id}/subscriptions/${sub.body.id}`).expect(200);
    expect(gone.body).toEqual({ id: sub.body.id, removedAtProvider: false });
    expect(fake.requests.length).toBe(before);
  });

  it('unknown connection or subscription: 404; a provider failing the unregistration: 502 and the row stays', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(
      (
        await t.api
          .post(`/connections/${missing}/subscriptions`)
          .send({ events: ['x'] })
          .expect(404)
      ).body.code,
    ).toBe('connection_not_found');
    expect((await t.api.get(`/connections/${missing}/subscriptions`).expect(404)).body.code).toBe(
      'connection_not_found',
    );
    const id = await connection('keap', 'kp-404');
    expect((await t.api.delete(`/connections/${id}/subscriptions/${missing}`).expect(404)).body.code).toBe(
      'subscription_not_found',
    );
    expect((await t.api.delete(`/connections/${id}/subscriptions/nope`).expect(400)).body.code).toBe(
      'validation_failed',
    );

    fake.on('POST', `${KEAP}/hooks`, (req) => ({ json: { key: 'key-stuck', ...req.body, status: 'Verified' } }));
    fake.on('DELETE', `${KEAP}/hooks/key-stuck`, { status: 503 });
    const sub = await t.api
      .post(`/connections/${id}/subscriptions`)
      .send({ events: ['task.edit'] })
      .expect(201);
    const res = await t.api.delete(`/connections/${id}/subscriptions/${sub.body.id}`).expect(502);
    expect(res.body.code).toBe('provider_unavailable');
    expect(await rows(id)).toHaveLength(1);
  });

  describe('deleting a connection unregisters its webhooks with its token, before the token is revoked', () => {
    const hooks = `${KEAP}/hooks`;
    const removalRows = (connectionId: string) =>
      t.dataSource.query<
        { id: string; status: string; attempts: number; last_error: string | null; access_token: string | null }[]
      >(`SELECT id, status, attempts, last_error, access_token FROM event_subscriptions WHERE connection_id = $1`, [
        connectionId,
      ]);
    const DAY = 86_400_000;

    async function keapSubscribed(account: string, events: string[]): Promise<{ id: string; keys: string[] }> {
      const id = await connection('keap', account);
      fake.on('POST', hooks, (req) => ({
        json: { key: `key-${account}-${(req.body as { eventKey: string }).eventKey}`, ...req.body, status: 'Verified' },
      }));
      await t.api.post(`/connections/${id}/subscriptions`).send({ events }).expect(201);
      return { id, keys: events.map((e) => `key-${account}-${e}`) };
    }

    it('the provider answers: each hook removed during the DELETE with the connection’s token; no row left', async () => {
      const { id, keys } = await keapSubscribed('kp-del', ['contact.add', 'order.add']);
      for (const key of keys) fake.on('DELETE', `${hooks}/${key}`, { status: 204 });
      const res = await t.api.delete(`/connections/${id}`).expect(200);
      expect(res.body).toEqual({ id, providerRevocation: 'unsupported', subscriptions: { removed: 1, queued: 0 } });
      for (const key of keys)
        expect(fake.requestsTo(`${hooks}/${key}`).map((r) => [r.method, bearer(r)])).toEqual([
          ['DELETE', 'Bearer at-kp-del'],
        ]);
      expect(await removalRows(id)).toEqual([]);
    });

    it('the provider is down: the removal is queued with the token, the revocation waits for it, and the workers finish both in that order', async () => {
      const id = await connection('webflow', 'wf-del');
      fake.on('GET', `${WF}/token/introspect`, {
        json: { authorization: { authorizedTo: { siteIds: ['site-del'] } } },
      });
      fake.on('POST', `${WF}/sites/site-del/webhooks`, (req) => ({ json: { id: 'wh-del', ...req.body } }));
      const sub = await t.api
        .post(`/connections/${id}/subscriptions`)
        .send({ events: ['site_publish'] })
        .expect(201);
      const { path } = registeredUrl(fake.requestsTo(`${WF}/sites/site-del/webhooks`).at(-1)!.body.url, 'webflow');
      fake.on('DELETE', `${WF}/webhooks/wh-del`, { status: 503, json: { message: 'down' } });
      const revokes = () => fake.requestsTo('/wf/oauth/revoke_authorization');
      fake.on('POST', '/wf/oauth/revoke_authorization', { json: { did_revoke: true } });

      const res = await t.api.delete(`/connections/${id}`).expect(200);
      expect(res.body).toEqual({ id, providerRevocation: 'queued', subscriptions: { removed: 0, queued: 1 } });
      expect(revokes()).toEqual([]);
      const [queued] = await removalRows(id);
      expect(queued).toMatchObject({ id: sub.body.id, status: 'removing', attempts: 1, last_error: 'unavailable' });
      // Kept encrypted for the row, never as it was sent.
      expect(queued.access_token).not.toContain('at-wf-del');
      await t.api.get(`/connections/${id}/subscriptions`).expect(404);
      // The provider keeps posting meanwhile: the connection is gone, so nothing receives it.
      const body = JSON.stringify({ triggerType: 'site_publish', payload: {} });
      const at = Date.now();
      const signature = createHmac('sha256', WEBFLOW_SECRET).update(`${at}:${body}`).digest('hex');
      const headers = {
        'content-type': 'application/json',
        'x-webflow-timestamp': String(at),
        'x-webflow-signature': signature,
      };
      expect((await post(path, headers, body)).status).toBe(404);

      const revocations = t.app.get(RevocationWorker);
      const removals = t.app.get(SubscriptionRemovalWorker);
      const later = new Date(Date.now() + DAY);
      // Revoked first, the token could no longer remove the webhook: the revocation is not even claimed.
      expect(await revocations.runOnce(later)).toMatchObject({ attempted: 0 });
      expect(revokes()).toEqual([]);
      expect(await removals.runOnce(later)).toEqual({ attempted: 1, removed: 0, failed: 1, givenUp: 0 });
      expect((await removalRows(id))[0]).toMatchObject({ attempts: 2, status: 'removing' });

      fake.on('DELETE', `${WF}/webhooks/wh-del`, { status: 204 });
      expect(await removals.runOnce(new Date(later.getTime() + DAY))).toEqual({
        attempted: 1,
        removed: 1,
        failed: 0,
        givenUp: 0,
      });
      expect(fake.requestsTo(`${WF}/webhooks/wh-del`).map((r) => bearer(r))).toEqual([
        'Bearer at-wf-del',
        'Bearer at-wf-del',
        'Bearer at-wf-del',
      ]);
      expect(await removalRows(id)).toEqual([]);
      expect(await revocations.runOnce(new Date(later.getTime() + DAY))).toMatchObject({ attempted: 1, revoked: 1 });
      expect(revokes().map((r) => r.body)).toEqual([expect.objectContaining({ access_token: 'at-wf-del' })]);
    });

    it('given up after EVENTS_REMOVAL_MAX_ATTEMPTS (14 by default, the DELETE’s own included), or at once when the token is refused', async () => {
      const { id, keys } = await keapSubscribed('kp-giveup', ['task.add']);
      fake.on('DELETE', `${hooks}/${keys[0]}`, { status: 500 });
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body.subscriptions).toEqual({
        removed: 0,
        queued: 1,
      });
      const removals = t.app.get(SubscriptionRemovalWorker);
      const outcomes: string[] = [];
      for (let day = 1; day <= 16 && (await removalRows(id)).length; day++) {
        const report = await removals.runOnce(new Date(Date.now() + day * DAY));
        outcomes.push(report.givenUp ? 'given_up' : report.failed ? 'failed' : 'none');
      }
      expect(outcomes).toEqual([...Array(12).fill('failed'), 'given_up']);
      const counted = (await t.app.get(MetricsService).subscriptionRemovals.get()).values.filter(
        (v) => v.labels.provider === 'keap',
      );
      expect(counted.find((v) => v.labels.outcome === 'given_up')?.value).toBeGreaterThanOrEqual(1);
      expect(counted.find((v) => v.labels.outcome === 'failed')?.value).toBeGreaterThanOrEqual(13);
      expect(fake.requestsTo(`${hooks}/${keys[0]}`)).toHaveLength(14);
      expect(await removalRows(id)).toEqual([]);

      const refused = await keapSubscribed('kp-refused', ['task.add']);
      fake.on('DELETE', `${hooks}/${refused.keys[0]}`, { status: 401 });
      expect((await t.api.delete(`/connections/${refused.id}`).expect(200)).body.subscriptions).toEqual({
        removed: 0,
        queued: 0,
      });
      expect(await removalRows(refused.id)).toEqual([]);
    });

    it('keys:rotate re-encrypts the token a queued removal keeps', async () => {
      const { id, keys } = await keapSubscribed('kp-rotate', ['note.add']);
      fake.on('DELETE', `${hooks}/${keys[0]}`, { status: 503 });
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body.subscriptions).toEqual({
        removed: 0,
        queued: 1,
      });
      const rotated = new TokenCipher(parseKeyring(`${TEST_KEY_B},${TEST_KEY_A}`));
      expect((await rotateSubscriptionKeys(t.dataSource, rotated)).failed).toEqual([]);
      const [row] = await removalRows(id);
      expect(row.access_token!.startsWith(rotated.currentPrefix)).toBe(true);
      expect(rotated.decrypt(row.access_token!, subscriptionTokenContext(row.id))).toBe('at-kp-rotate');
      // This app has only key A and could not decrypt it now: no removal row is left for the tests after this one.
      await t.dataSource.query(`DELETE FROM event_subscriptions WHERE id = $1`, [row.id]);
    });

    it('a revoked connection (uninstalled) has no token: its subscriptions are deleted with it, without a provider call', async () => {
      const id = await connection('lightfunnels', 'lf-del');
      fake.on('POST', LF, () => ({ json: { data: { createWebhook: { id: 'lf-wh-del' } } } }));
      await t.api
        .post(`/connections/${id}/subscriptions`)
        .send({ events: ['app/uninstalled'] })
        .expect(201);
      const url = String((fake.requestsTo(LF).at(-1)!.body as { query: string }).query.match(/url: "([^"]+)"/)![1]);
      const { path } = registeredUrl(url, 'lightfunnels');
      const body = JSON.stringify({ node: { id: 'lf-del' } });
      const signature = createHmac('sha256', LIGHTFUNNELS_SECRET).update(body).digest('base64');
      expect(
        (await post(path, { 'content-type': 'application/json', 'lightfunnels-hmac': signature }, body)).status,
      ).toBe(200);
      // Whether Lightfunnels dropped the webhook with the install is not documented: its id is kept.
      expect((await rows(id))[0].remote_ids).toEqual(['lf-wh-del']);
      const before = fake.requestsTo(LF).length;
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body.subscriptions).toEqual({
        removed: 0,
        queued: 0,
      });
      expect(fake.requestsTo(LF)).toHaveLength(before);
      expect(await rows(id)).toEqual([]);
    });

    it('a provider that stops answering is called for the first subscriptions only; the rest is queued without a call', async () => {
      const id = await connection('keap', 'kp-down');
      const keys: string[] = [];
      for (const event of ['contact.add', 'contact.edit', 'note.add', 'order.add', 'task.add']) {
        fake.on('POST', hooks, (req) => ({ json: { key: `key-down-${event}`, ...req.body, status: 'Verified' } }));
        await t.api
          .post(`/connections/${id}/subscriptions`)
          .send({ events: [event] })
          .expect(201);
        keys.push(`key-down-${event}`);
        fake.on('DELETE', `${hooks}/key-down-${event}`, { status: 503 });
      }
      const res = await t.api.delete(`/connections/${id}`).expect(200);
      expect(res.body.subscriptions).toEqual({ removed: 0, queued: 5 });
      // Four at a time: the first four were tried (and failed); the fifth was not.
      expect(keys.filter((key) => fake.requestsTo(`${hooks}/${key}`).length > 0)).toHaveLength(4);
      const queued = await removalRows(id);
      expect(queued.map((r) => r.status)).toEqual(Array(5).fill('removing'));
      expect(queued.filter((r) => r.last_error === 'not_attempted').map((r) => r.attempts)).toEqual([0]);
      await t.dataSource.query(`DELETE FROM event_subscriptions WHERE connection_id = $1`, [id]);
    });

    it('a subscription registered while the DELETE unregistered the others is queued in its transaction, not forgotten', async () => {
      const id = await connection('keap', 'kp-late');
      const entity = (await t.app.get(ConnectionsRepository).findById(id))!;
      const prepared = await t.app.get(SubscriptionsService).prepareDelete(entity);
      fake.on('POST', hooks, (req) => ({ json: { key: 'key-late-sub', ...req.body, status: 'Verified' } }));
      const late = await t.api
        .post(`/connections/${id}/subscriptions`)
        .send({ events: ['task.add'] })
        .expect(201);
      expect(await t.app.get(ConnectionsRepository).deleteById(id, (tx, row) => prepared.inTransaction(tx, row))).toBe(
        true,
      );
      expect(await removalRows(id)).toEqual([
        expect.objectContaining({ id: late.body.id, status: 'removing', attempts: 0, last_error: null }),
      ]);
      // And a subscribe that comes after the delete committed registers nothing.
      const before = fake.requestsTo(hooks).length;
      expect(
        (
          await t.api
            .post(`/connections/${id}/subscriptions`)
            .send({ events: ['task.add'] })
            .expect(404)
        ).body.code,
      ).toBe('connection_not_found');
      expect(fake.requestsTo(hooks)).toHaveLength(before);
      await t.dataSource.query(`DELETE FROM event_subscriptions WHERE connection_id = $1`, [id]);
    });
  });
});
