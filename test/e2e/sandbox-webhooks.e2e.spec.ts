import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, TestApp } from '../support/app';
import { simulatorTokens } from '../support/sandbox-flow';

/**
 * The simulators' webhook registration calls (ClickFunnels 2.0 outgoing endpoints, Lightfunnels
 * createWebhook, Keap REST hooks with their X-Hook-Secret handshake, Webflow site webhooks) over real
 * HTTP, and their test events: POSTed to a plain HTTP receiver here, signed as each provider signs,
 * every signature checked with node:crypto computed here. Then the whole way into the service: a
 * test event to a subscription's /events URL on PUBLIC_URL is proven and stored by the service.
 */

const REDIRECT = 'https://app.example/oauth/callback';
const UA = { 'User-Agent': 'sandbox-webhooks-test' };

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver: records every request; answers 200, echoing X-Hook-Secret only on paths under /echo/. */
class Receiver {
  readonly received: Received[] = [];
  private server!: Server;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const secret = req.headers['x-hook-secret'];
        if (path.startsWith('/echo/') && typeof secret === 'string') res.setHeader('X-Hook-Secret', secret);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const hmacHex = (key: string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest('hex');
const hmacBase64 = (key: string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest('base64');

describe('Sandbox webhooks: registration at the simulators and signed test events (real app, real HTTP)', () => {
  let t: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL: 'https://app.example' } });
    receiver = new Receiver();
    await receiver.start();
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const testEvent = (provider: string, body: Record<string, unknown>) =>
    t.anon.post(`/sandbox/${provider}/webhooks/test-event`).send(body).expect(200);

  describe('ClickFunnels 2.0: outgoing endpoints, hex HMAC of "{seconds}.{body}" with the endpoint secret', () => {
    let token: string;
    let workspace: number;
    const auth = () => ({ Authorization: `Bearer ${token}`, ...UA });
    const endpoints = (ws: number | string = workspace) =>
      `/sandbox/clickfunnels/api/api/v2/workspaces/${ws}/webhooks/outgoing/endpoints`;

    beforeAll(async () => {
      const tokens = await simulatorTokens(t, 'clickfunnels', REDIRECT, 'hooks-cf');
      token = tokens.access_token;
      workspace = tokens.workspace_id as number;
    });

    it('creates an endpoint (201, webhook_secret only then), lists it, refuses what the API refuses', async () => {
      const url = `${receiver.base}/cf/one`;
      const created = await t.anon
        .post(endpoints())
        .set(auth())
        .send({ webhooks_outgoing_endpoint: { url, name: 'one', event_type_ids: ['contact.created'] } })
        .expect(201);
      expect(created.body).toEqual({
        id: expect.any(Number),
        public_id: expect.any(String),
        workspace_id: workspace,
        url,
        name: 'one',
        event_type_ids: ['contact.created'],
        api_version: 2,
        webhook_secret: expect.stringMatching(/^[0-9a-f]{64}$/),
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const listed = await t.anon.get(endpoints()).set(auth()).expect(200);
      expect(listed.body).toContainEqual({ ...created.body, webhook_secret: undefined });
      expect(JSON.stringify(listed.body)).not.toContain(created.body.webhook_secret);
      // The same under the workspace URL (an origin, for the real API) and without the version prefix.
      await t.anon
        .get(`/sandbox/clickfunnels/api/workspaces/${workspace}/api/v2/webhooks/outgoing/endpoints/${created.body.id}`)
        .set(auth())
        .expect(200);
      await t.anon
        .get(`/sandbox/clickfunnels/api/workspaces/${workspace}/webhooks/outgoing/endpoints`)
        .set(auth())
        .expect(200);

      await t.anon.post(endpoints()).set(UA).send({ webhooks_outgoing_endpoint: { url } }).expect(401);
      await t.anon
        .post(endpoints(workspace + 1))
        .set(auth())
        .send({ webhooks_outgoing_endpoint: { url } })
        .expect(404);
      const unknown = await t.anon
        .post(endpoints())
        .set(auth())
        .send({ webhooks_outgoing_endpoint: { url, event_type_ids: ['no.such_event'] } })
        .expect(422);
      expect(unknown.body.error).toMatch(/no\.such_event/);
      await t.anon
        .post(endpoints())
        .set(auth())
        .send({ webhooks_outgoing_endpoint: { url: 'not a url' } })
        .expect(422);
    });

    it('a test event arrives signed with that endpoint’s secret; a deleted endpoint gets no more', async () => {
      const url = `${receiver.base}/cf/two`;
      const created = await t.anon
        .post(endpoints())
        .set(auth())
        .send({
          webhooks_outgoing_endpoint: {
            url,
            name: 'two',
            event_type_ids: ['order.created', 'platform_application.disconnected'],
          },
        })
        .expect(201);
      const secret = created.body.webhook_secret as string;

      const before = Date.now();
      const sent = await testEvent('clickfunnels', { accountId: String(workspace), type: 'order.created' });
      expect(sent.body.deliveries).toEqual([
        { webhookId: String(created.body.id), url, event: 'order.created', status: 200, delivered: true },
      ]);
      const [delivery] = receiver.at('/cf/two');
      const timestamp = delivery.headers['x-webhook-clickfunnels-timestamp'] as string;
      expect(timestamp).toMatch(/^\d{10}$/);
      expect(Math.abs(Number(timestamp) * 1000 - before)).toBeLessThan(5_000);
      expect(delivery.headers['x-webhook-clickfunnels-signature']).toBe(
        hmacHex(secret, `${timestamp}.${delivery.body}`),
      );
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(JSON.parse(delivery.body)).toMatchObject({
        event_id: expect.any(String),
        event_type: 'order.created',
        workspace_id: workspace,
        subject_type: 'Order',
        data: { workspace_id: workspace },
      });
      // The other endpoint is registered for contact.created only.
      expect(receiver.at('/cf/one')).toEqual([]);

      const uninstall = await testEvent('clickfunnels', { accountId: String(workspace), uninstall: true });
      expect(uninstall.body.event).toBe('platform_application.disconnected');
      expect(uninstall.body.deliveries.map((d: { url: string }) => d.url)).toEqual([url]);
      expect(JSON.parse(receiver.at('/cf/two')[1].body)).toMatchObject({
        event_type: 'platform_application.disconnected',
        workspace_id: workspace,
      });

      await t.anon
        .delete(`/sandbox/clickfunnels/api/api/v2/webhooks/outgoing/endpoints/${created.body.id}`)
        .set(auth())
        .expect(204);
      await t.anon
        .delete(`/sandbox/clickfunnels/api/api/v2/webhooks/outgoing/endpoints/${created.body.id}`)
        .set(auth())
        .expect(404);
      const after = await testEvent('clickfunnels', { accountId: String(workspace), type: 'order.created' });
      expect(after.body.deliveries).toEqual([]);
      expect(receiver.at('/cf/two')).toHaveLength(2);
    });
  });

  describe('Lightfunnels: createWebhook / deleteWebhook, base64 HMAC of the body with the client secret', () => {
    let token: string;
    let account: string;
    const gql = (query: string) =>
      t.anon.post('/sandbox/lightfunnels/api').set('Authorization', `Bearer ${token}`).send({ query }).expect(200);
    const create = (type: string, url: string) =>
      gql(
        `mutation { createWebhook(node: {type: "${type}", url: "${url}", version: "v2", settings: {}}) { id type url } }`,
      );

    beforeAll(async () => {
      token = (await simulatorTokens(t, 'lightfunnels', REDIRECT, 'hooks-lf')).access_token;
      account = (await gql('{ account { id } }')).body.data.account.id;
    });

    it('creates one webhook per type and URL; the same twice is webhooks_duplicated; events are signed; deleted gets none', async () => {
      const orders = `${receiver.base}/lf/orders`;
      const uninstalled = `${receiver.base}/lf/uninstalled`;
      const created = await create('order/created', orders);
      expect(created.body).toEqual({
        data: { createWebhook: { id: expect.any(String), type: 'order/created', url: orders } },
      });
      const duplicate = await create('order/created', orders);
      expect(duplicate.body).toEqual({
        data: { createWebhook: null },
        errors: [
          { message: 'webhooks_duplicated', path: ['createWebhook'], extensions: { code: 'webhooks_duplicated' } },
        ],
      });
      const uninstallHook = await create('app/uninstalled', uninstalled);
      const listed = await gql('{ webhooks { id type } }');
      expect(listed.body.data.webhooks).toEqual([
        { id: created.body.data.createWebhook.id, type: 'order/created' },
        { id: uninstallHook.body.data.createWebhook.id, type: 'app/uninstalled' },
      ]);
      const bad = await t.anon
        .post('/sandbox/lightfunnels/api')
        .set('Authorization', `Bearer ${token}`)
        .send({ query: 'mutation { createWebhook(node: {type: "nope", url: "x"}) { id } }' })
        .expect(400);
      expect(bad.body.errors).toHaveLength(1);

      const sent = await testEvent('lightfunnels', { accountId: account });
      expect(sent.body.deliveries).toEqual([
        expect.objectContaining({ url: orders, event: 'order/created', status: 200 }),
      ]);
      const [order] = receiver.at('/lf/orders');
      expect(order.headers['lightfunnels-hmac']).toBe(hmacBase64('sandbox-secret-lightfunnels', order.body));
      expect(JSON.parse(order.body)).toEqual({ node: expect.objectContaining({ account_id: account }) });

      await testEvent('lightfunnels', { accountId: account, uninstall: true });
      const [gone] = receiver.at('/lf/uninstalled');
      expect(JSON.parse(gone.body)).toEqual({ node: { id: account } });
      expect(gone.headers['lightfunnels-hmac']).toBe(hmacBase64('sandbox-secret-lightfunnels', gone.body));
      expect(receiver.at('/lf/orders')).toHaveLength(1);

      const deleted = await gql(`mutation { deleteWebhook(id: "${created.body.data.createWebhook.id}") }`);
      expect(deleted.body).toEqual({ data: { deleteWebhook: true } });
      expect((await testEvent('lightfunnels', { accountId: account, type: 'order/created' })).body.deliveries).toEqual(
        [],
      );
      expect(receiver.at('/lf/orders')).toHaveLength(1);
    });
  });

  describe('Keap: REST hooks, the X-Hook-Secret handshake, unsigned deliveries', () => {
    let token: string;
    let app: string;
    const auth = () => ({ Authorization: `Bearer ${token}` });

    beforeAll(async () => {
      const tokens = await simulatorTokens(t, 'keap', REDIRECT, 'hooks-keap');
      token = tokens.access_token;
      app = /\|(\w+)\.infusionsoft\.com$/.exec(tokens.scope as string)![1];
    });

    it('lists its event keys', async () => {
      const keys = await t.anon.get('/sandbox/keap/api/v1/hooks/event_keys').set(auth()).expect(200);
      expect(keys.body).toEqual(expect.arrayContaining(['contact.add', 'order.add', 'invoice.payment.add']));
    });

    it('sends the handshake before answering: an echo verifies the hook, and only a verified hook gets events', async () => {
      const echoing = `${receiver.base}/echo/keap`;
      const silent = `${receiver.base}/keap/silent`;
      const verified = await t.anon
        .post('/sandbox/keap/api/v1/hooks')
        .set(auth())
        .send({ eventKey: 'contact.add', hookUrl: echoing })
        .expect(200);
      expect(verified.body).toEqual({
        key: expect.any(String),
        eventKey: 'contact.add',
        hookUrl: echoing,
        status: 'Verified',
      });
      const [handshake] = receiver.at('/echo/keap');
      expect(handshake.headers['x-hook-secret']).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(handshake.body).toBe('');

      const unverified = await t.anon
        .post('/sandbox/keap/api/v1/hooks')
        .set(auth())
        .send({ eventKey: 'contact.add', hookUrl: silent })
        .expect(200);
      expect(unverified.body.status).toBe('Unverified');
      expect(receiver.at('/keap/silent')).toHaveLength(1);

      const listed = await t.anon.get('/sandbox/keap/api/v1/hooks').set(auth()).expect(200);
      expect(listed.body).toEqual([verified.body, unverified.body]);

      const sent = await testEvent('keap', { accountId: app, type: 'contact.add' });
      expect(sent.body.deliveries).toEqual([expect.objectContaining({ url: echoing, status: 200, delivered: true })]);
      const event = receiver.at('/echo/keap')[1];
      expect(event.headers['x-hook-secret']).toBeUndefined();
      expect(Object.keys(event.headers).filter((h) => /signature|hmac/i.test(h))).toEqual([]);
      expect(JSON.parse(event.body)).toEqual({
        event_key: 'contact.add',
        object_type: 'contact',
        object_keys: [{ id: expect.any(Number), apiUrl: expect.any(String), timestamp: expect.any(String) }],
      });
      expect(receiver.at('/keap/silent')).toHaveLength(1);

      // verify sends the handshake again; the receiver still does not echo.
      const again = await t.anon
        .post(`/sandbox/keap/api/v1/hooks/${unverified.body.key}/verify`)
        .set(auth())
        .expect(200);
      expect(again.body.status).toBe('Unverified');
      expect(receiver.at('/keap/silent')).toHaveLength(2);

      await t.anon.delete(`/sandbox/keap/api/v1/hooks/${verified.body.key}`).set(auth()).expect(204);
      await t.anon.get(`/sandbox/keap/api/v1/hooks/${verified.body.key}`).set(auth()).expect(404);
      expect((await testEvent('keap', { accountId: app, type: 'contact.add' })).body.deliveries).toEqual([]);
      expect(receiver.at('/echo/keap')).toHaveLength(2);
    });

    it('refuses an unknown event key, a missing URL and a missing token', async () => {
      await t.anon
        .post('/sandbox/keap/api/v1/hooks')
        .set(auth())
        .send({ eventKey: 'nope', hookUrl: `${receiver.base}/x` })
        .expect(400);
      await t.anon.post('/sandbox/keap/api/v1/hooks').set(auth()).send({ eventKey: 'contact.add' }).expect(400);
      await t.anon
        .post('/sandbox/keap/api/v1/hooks')
        .send({ eventKey: 'contact.add', hookUrl: `${receiver.base}/x` })
        .expect(401);
    });
  });

  describe('Webflow: site webhooks, hex HMAC of "{ms}:{body}" with the client secret', () => {
    let token: string;
    let site: string;
    const auth = () => ({ Authorization: `Bearer ${token}` });
    let userId: string;

    beforeAll(async () => {
      token = (await simulatorTokens(t, 'webflow', REDIRECT, 'hooks-wf')).access_token;
      const intro = await t.anon.get('/sandbox/webflow/api/v2/token/introspect').set(auth()).expect(200);
      [site] = intro.body.authorization.authorizedTo.siteIds;
      [userId] = intro.body.authorization.authorizedTo.userIds;
      const sites = await t.anon.get('/sandbox/webflow/api/v2/sites').set(auth()).expect(200);
      expect(sites.body.sites.map((s: { id: string }) => s.id)).toEqual([site]);
    });

    it('creates, lists and deletes site webhooks; events are signed with the client secret', async () => {
      const url = `${receiver.base}/wf/forms`;
      const created = await t.anon
        .post(`/sandbox/webflow/api/v2/sites/${site}/webhooks`)
        .set(auth())
        .send({ triggerType: 'form_submission', url, filter: { name: 'Contact form' } })
        .expect(200);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        workspaceId: expect.stringMatching(/^[0-9a-f]{24}$/),
        siteId: site,
        triggerType: 'form_submission',
        url,
        filter: { name: 'Contact form' },
        createdOn: expect.any(String),
        lastTriggered: null,
      });
      const listed = await t.anon.get(`/sandbox/webflow/api/v2/sites/${site}/webhooks`).set(auth()).expect(200);
      expect(listed.body).toEqual({ webhooks: [created.body], pagination: { limit: 100, offset: 0, total: 1 } });
      await t.anon
        .post(`/sandbox/webflow/api/v2/sites/${'0'.repeat(24)}/webhooks`)
        .set(auth())
        .send({ triggerType: 'form_submission', url })
        .expect(404);
      const bad = await t.anon
        .post(`/sandbox/webflow/api/v2/sites/${site}/webhooks`)
        .set(auth())
        .send({ triggerType: 'nope', url })
        .expect(400);
      expect(bad.body.code).toBe('validation_error');

      const before = Date.now();
      const sent = await testEvent('webflow', { accountId: userId });
      expect(sent.body.deliveries).toEqual([expect.objectContaining({ url, event: 'form_submission', status: 200 })]);
      const [delivery] = receiver.at('/wf/forms');
      const timestamp = delivery.headers['x-webflow-timestamp'] as string;
      expect(timestamp).toMatch(/^\d{13}$/);
      expect(Math.abs(Number(timestamp) - before)).toBeLessThan(5_000);
      expect(delivery.headers['x-webflow-signature']).toBe(
        hmacHex('sandbox-secret-webflow', `${timestamp}:${delivery.body}`),
      );
      expect(JSON.parse(delivery.body)).toMatchObject({ triggerType: 'form_submission', payload: { siteId: site } });

      await t.anon.delete(`/sandbox/webflow/api/v2/webhooks/${created.body.id}`).set(auth()).expect(204);
      expect((await testEvent('webflow', { accountId: userId })).body.deliveries).toEqual([]);
      expect(receiver.at('/wf/forms')).toHaveLength(1);
    });
  });

  describe('the sandbox routes', () => {
    it('lists what was registered without secrets; refuses a bad test-event request; Classic has none', async () => {
      const listed = await t.anon.get('/sandbox/clickfunnels/webhooks').expect(200);
      expect(listed.body.data.length).toBeGreaterThan(0);
      for (const hook of listed.body.data) expect(hook.secret).toBeUndefined();
      await t.anon.post('/sandbox/keap/webhooks/test-event').send({}).expect(400);
      await t.anon.post('/sandbox/keap/webhooks/test-event').send({ accountId: 'x', uninstall: true }).expect(400);
      await t.anon.post('/sandbox/webflow/webhooks/test-event').send({ accountId: 'x', type: 'nope' }).expect(400);
      await t.anon.post('/sandbox/clickfunnels-classic/webhooks/test-event').send({ accountId: 'x' }).expect(404);
    });

    it('a webhook on PUBLIC_URL is called at the service’s internal address: the service proves and stores the event', async () => {
      const token = (await simulatorTokens(t, 'webflow', REDIRECT, 'hooks-wf-service')).access_token;
      const auth = { Authorization: `Bearer ${token}` };
      const intro = await t.anon.get('/sandbox/webflow/api/v2/token/introspect').set(auth).expect(200);
      const [site] = intro.body.authorization.authorizedTo.siteIds;
      const [userId] = intro.body.authorization.authorizedTo.userIds;
      const connection = await t.api
        .post('/connections')
        .send({ provider: 'webflow', ownerId: 'owner-hooks', accountId: userId, accessToken: token })
        .expect(201);
      const subscriptionId = randomUUID();
      const urlToken = randomBytes(32).toString('base64url');
      await t.dataSource.query(
        `INSERT INTO event_subscriptions (id, connection_id, provider, events, status, token_hash)
         VALUES ($1, $2, 'webflow', $3, 'active', $4)`,
        [subscriptionId, connection.body.id, ['site_publish'], createHash('sha256').update(urlToken).digest('hex')],
      );
      await t.anon
        .post(`/sandbox/webflow/api/v2/sites/${site}/webhooks`)
        .set(auth)
        .send({ triggerType: 'site_publish', url: `https://app.example/events/webflow/${urlToken}` })
        .expect(200);
      await t.anon
        .post(`/sandbox/webflow/api/v2/sites/${site}/webhooks`)
        .set(auth)
        .send({
          triggerType: 'site_publish',
          url: `https://app.example/events/webflow/${randomBytes(32).toString('base64url')}`,
        })
        .expect(200);
      const sent = await testEvent('webflow', { accountId: userId, type: 'site_publish' });
      expect(sent.body.deliveries.map((d: { status: number }) => d.status)).toEqual([200, 404]);
      const stored = await t.dataSource.query(
        'SELECT event_type, connection_id FROM inbound_events WHERE subscription_id = $1',
        [subscriptionId],
      );
      expect(stored).toEqual([{ event_type: 'site_publish', connection_id: connection.body.id }]);
    });
  });
});
