import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TestApp } from '../support/app';
import {
  CapturedDelivery,
  EventsTap,
  ProductWebhookReceiver,
  providerSignature,
  replay,
  ReceivedWebhook,
  SandboxHook,
  sandboxHooks,
  sendTestEvent,
  simulatorHookSecret,
} from '../support/provider-events-sandbox';
import { connectThroughSandbox } from '../support/sandbox-flow';

type Provider = 'clickfunnels' | 'lightfunnels' | 'keap' | 'webflow';

/** A connection made through the sandbox's OAuth flow. */
interface Connected {
  id: string;
  ownerId: string;
  /** The service's account id: the simulator keys its webhooks and test events by it. */
  accountId: string;
}

/** A subscription and what it registered at the simulator. */
interface Subscribed {
  subscription: { id: string; connectionId: string; provider: string; events: string[]; status: string };
  /** The webhooks the subscribe call added at the simulator. */
  hooks: SandboxHook[];
  /** `{PUBLIC_URL}/events/{provider}/{token}`, the URL every one of them was registered with. */
  url: string;
  path: string;
}

/** A test event the simulator sent to a subscription's URL, as it came, and the provider.event it became. */
interface Delivered {
  captured: CapturedDelivery;
  payload: unknown;
  forwarded: ReceivedWebhook;
}

interface Signing {
  header: string;
  encoding: 'hex' | 'base64';
  /** The key the simulator signs the subscription's deliveries with. */
  secret(t: TestApp, s: Subscribed): Promise<string>;
  /** The provider's documented signature of `body` (at `timestamp`, for those that sign one). */
  sign(secret: string, body: Buffer | string, timestamp: string): string;
  /** Providers that sign a timestamp: its header, and the provider's timestamp `seconds` from now. */
  timestamp?: { header: string; shifted(seconds: number): string };
}

interface ProviderCase {
  provider: Provider;
  /** Subscribed to, and the test event's type (the first). */
  events: string[];
  /** The provider's own shape of the registration, beyond the shared URL and event names. */
  registration(t: TestApp, c: Connected, s: Subscribed): Promise<void>;
  /** The `eventId` provider.event carries for a payload. */
  eventId(payload: unknown): string | null;
  signing?: Signing;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const sandboxSecret = (provider: Provider) => `sandbox-secret-${provider}`;

/** The same bytes with their first digit changed (every test event carries one: ids, times). */
const tamperedBody = (body: Buffer) => {
  const text = body.toString('utf8');
  const changed = text.replace(/\d/, (d) => String((Number(d) + 1) % 10));
  expect(changed).not.toBe(text);
  return changed;
};
/** A signature of the right length and encoding with one bit flipped. */
const tamperedSignature = (signature: string, encoding: 'hex' | 'base64') => {
  const bytes = Buffer.from(signature, encoding);
  bytes[0] ^= 1;
  return bytes.toString(encoding);
};

/** What the simulators post to the service's /events routes, as it arrives (installed on the app below). */
const tap = new EventsTap();

const CASES: ProviderCase[] = [
  {
    provider: 'clickfunnels',
    events: ['order.created', 'contact.created', 'platform_application.disconnected'],
    async registration(t, c, s) {
      // One outgoing endpoint for all the events, in the connection's workspace.
      expect(s.hooks).toHaveLength(1);
      const [hook] = s.hooks;
      expect(hook.events).toEqual(['order.created', 'contact.created', 'platform_application.disconnected']);
      expect(hook.name).toEqual(expect.any(String));
      // The endpoint as ClickFunnels' own API shows it to the connection (through the service's proxy).
      const endpoint = await t.api
        .get(`/proxy/${c.id}/api/v2/webhooks/outgoing/endpoints/${hook.id}`)
        .set('User-Agent', 'provider-events-sandbox-test')
        .expect(200);
      expect(endpoint.body).toMatchObject({
        id: Number(hook.id),
        workspace_id: Number(c.accountId),
        url: s.url,
        event_type_ids: ['order.created', 'contact.created', 'platform_application.disconnected'],
      });
      expect(endpoint.body.webhook_secret).toBeUndefined();
    },
    eventId: (payload) => (payload as { event_id: string }).event_id,
    signing: {
      header: 'x-webhook-clickfunnels-signature',
      encoding: 'hex',
      // The endpoint's own webhook_secret (shown once, to the service): read where the simulator keeps it.
      secret: (t, s) => simulatorHookSecret(t, 'clickfunnels', s.hooks[0].id),
      sign: (secret, body, timestamp) => providerSignature.clickfunnels(secret, timestamp, body),
      timestamp: {
        header: 'x-webhook-clickfunnels-timestamp',
        shifted: (seconds) => String(Math.floor(Date.now() / 1000) + seconds),
      },
    },
  },
  {
    provider: 'lightfunnels',
    events: ['order/created'],
    async registration(t, c, s) {
      // One webhook per event: the deliveries do not name their type, the URL does.
      expect(s.hooks).toHaveLength(1);
      expect(s.hooks[0].events).toEqual(['order/created']);
      // Several events in one subscription: refused before anything is registered.
      const before = await sandboxHooks(t, 'lightfunnels', c.accountId);
      const refused = await t.api
        .post(`/connections/${c.id}/subscriptions`)
        .send({ events: ['order/created', 'order/confirmed'] })
        .expect(400);
      expect(refused.body.code).toBe('validation_failed');
      expect(await sandboxHooks(t, 'lightfunnels', c.accountId)).toEqual(before);
    },
    eventId: () => null,
    signing: {
      header: 'lightfunnels-hmac',
      encoding: 'base64',
      secret: async () => sandboxSecret('lightfunnels'),
      sign: (secret, body) => providerSignature.lightfunnels(secret, body),
    },
  },
  {
    provider: 'keap',
    events: ['contact.add', 'order.add'],
    async registration(_t, _c, s) {
      // One REST hook per event, all to the one URL, each verified by the X-Hook-Secret echo.
      expect(s.hooks.map((h) => h.events)).toEqual([['contact.add'], ['order.add']]);
      expect(s.hooks.map((h) => h.status)).toEqual(['Verified', 'Verified']);
      expect(s.subscription.status).toBe('active');
      const handshakes = tap.captured.filter((d) => d.path === s.path && d.headers['x-hook-secret'] !== undefined);
      expect(handshakes).toHaveLength(2);
      for (const h of handshakes) expect(h.body.length).toBe(0);
    },
    eventId: () => null,
  },
  {
    provider: 'webflow',
    events: ['form_submission', 'site_publish'],
    async registration(t, c, s) {
      // A webhook per authorized site and event; the sites are the token's (token/introspect).
      const intro = await t.api.get(`/proxy/${c.id}/token/introspect`).expect(200);
      const sites: string[] = intro.body.authorization.authorizedTo.siteIds;
      expect(sites.length).toBeGreaterThan(0);
      const expected = sites.flatMap((site) => ['form_submission', 'site_publish'].map((e) => [site, [e]]));
      expect(s.hooks.map((h) => [h.data.siteId, h.events])).toEqual(expect.arrayContaining(expected));
      expect(s.hooks).toHaveLength(expected.length);
    },
    eventId: () => null,
    signing: {
      header: 'x-webflow-signature',
      encoding: 'hex',
      secret: async () => sandboxSecret('webflow'),
      sign: (secret, body, timestamp) => providerSignature.webflow(secret, timestamp, body),
      timestamp: { header: 'x-webflow-timestamp', shifted: (seconds) => String(Date.now() + seconds * 1000) },
    },
  },
];

/**
 * Issue 24's "done means", per provider, against the sandbox simulators over real HTTP with one app:
 * subscribing registers the documented webhook at the simulator; the simulator's signed test event
 * reaches the product's webhook receiver as provider.event; tampered, wrongly signed, old and unknown
 * deliveries are refused and forwarded nowhere; a replay is forwarded once; an uninstall revokes the
 * connection; unsubscribing and deleting the connection remove the webhook at the simulator. What the
 * simulator sent is taken from the wire as the service received it (EventsTap), to replay or alter.
 * Absence is proven by a count once a later positive control event has arrived (the dispatcher sends
 * in order, one at a time; the receiver compares payloads deeply, as jsonb reorders keys), never by
 * waiting. The tests of a provider run in order and build on each other (one connection).
 */
describe('provider events through the sandbox simulators (ClickFunnels 2.0, Lightfunnels, Keap, Webflow)', () => {
  let t: TestApp;
  const receiver = new ProductWebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ port: await freePort(), env: receiver.env(), configure: tap.install });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  async function connect(provider: Provider, seed: string): Promise<Connected> {
    const ownerId = `owner-${seed}`;
    const id = await connectThroughSandbox(t, provider, ownerId, seed);
    const connection = await t.api.get(`/connections/${id}`).expect(200);
    expect(connection.body).toMatchObject({ id, provider, ownerId, status: 'active' });
    return { id, ownerId, accountId: connection.body.accountId };
  }

  /** POST /connections/{id}/subscriptions, and the webhooks it added at the simulator. */
  async function subscribe(provider: Provider, c: Connected, events: string[]): Promise<Subscribed> {
    const before = new Set((await sandboxHooks(t, provider, c.accountId)).map((h) => h.id));
    const res = await t.api.post(`/connections/${c.id}/subscriptions`).send({ events }).expect(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      connectionId: c.id,
      provider,
      events,
      status: 'active',
      createdAt: expect.any(String),
    });
    const hooks = (await sandboxHooks(t, provider, c.accountId)).filter((h) => !before.has(h.id));
    expect(hooks.length).toBeGreaterThan(0);
    const urls = [...new Set(hooks.map((h) => h.url))];
    expect(urls).toHaveLength(1);
    const [url] = urls;
    // {PUBLIC_URL}/events/{provider}/{token}: PUBLIC_URL is the app's own address here.
    const prefix = `${t.baseUrl}/events/${provider}/`;
    expect(url.startsWith(prefix)).toBe(true);
    expect(url.slice(prefix.length)).toMatch(TOKEN);
    // Every event asked for is registered, and nothing else.
    expect([...new Set(hooks.flatMap((h) => h.events))].sort()).toEqual([...events].sort());
    for (const h of hooks) expect(h.account).toBe(c.accountId);
    return { subscription: res.body, hooks, url, path: new URL(url).pathname };
  }

  const forwardedTo = (s: Subscribed) => receiver.of('provider.event', { subscriptionId: s.subscription.id });

  /** The simulator sends a test event of `type`; it arrives at the product's receiver as provider.event. */
  async function deliver(k: ProviderCase, c: Connected, s: Subscribed, type = k.events[0]): Promise<Delivered> {
    const answer = await sendTestEvent(t, k.provider, { accountId: c.accountId, type });
    expect(answer.deliveries.filter((d) => d.url === s.url)).toEqual([
      { webhookId: expect.any(String), url: s.url, event: type, status: 200, delivered: true },
    ]);
    const captured = tap.last(s.path);
    const payload: unknown = JSON.parse(captured.body.toString('utf8'));
    const [forwarded] = await receiver.waitFor('provider.event', (data) => isDeepStrictEqual(data.payload, payload));
    expect(forwarded.data).toEqual({
      connectionId: c.id,
      ownerId: c.ownerId,
      provider: k.provider,
      subscriptionId: s.subscription.id,
      event: type,
      eventId: k.eventId(payload),
      receivedAt: expect.any(String),
      payload,
    });
    return { captured, payload, forwarded };
  }

  describe.each(CASES)('$provider', (k) => {
    let c: Connected;
    let s: Subscribed;
    let first: Delivered;

    it('subscribing registers the documented webhook at the simulator, to {PUBLIC_URL}/events/{provider}/{token}', async () => {
      c = await connect(k.provider, `pes-${k.provider}`);
      s = await subscribe(k.provider, c, k.events);
      await k.registration(t, c, s);
      const listed = await t.api.get(`/connections/${c.id}/subscriptions`).expect(200);
      expect(listed.body.data).toContainEqual(expect.objectContaining({ id: s.subscription.id, status: 'active' }));
    });

    it("the simulator's signed test event reaches the product's receiver as provider.event, within seconds", async () => {
      first = await deliver(k, c, s);
      expect(forwardedTo(s)).toHaveLength(1);
    });

    it('refused and forwarded nowhere: a tampered signature or body, a wrong secret, an old timestamp, an unknown token', async () => {
      const { captured } = first;
      const refusals: [string, Parameters<typeof replay>[2], number, string][] = [];
      const signing = k.signing;
      if (signing) {
        const secret = await signing.secret(t, s);
        const timestamp = signing.timestamp ? String(captured.headers[signing.timestamp.header]) : '';
        // The scheme computed here is the simulator's: the captured signature is exactly it.
        expect(captured.headers[signing.header]).toBe(signing.sign(secret, captured.body, timestamp));
        const signature = String(captured.headers[signing.header]);
        refusals.push(
          [
            'tampered signature',
            { headers: { [signing.header]: tamperedSignature(signature, signing.encoding) } },
            401,
            'invalid_signature',
          ],
          ['tampered body', { body: tamperedBody(captured.body) }, 401, 'invalid_signature'],
          [
            'wrong secret',
            { headers: { [signing.header]: signing.sign(`not-${secret}`, captured.body, timestamp) } },
            401,
            'invalid_signature',
          ],
        );
        // Signed genuinely, but 20 minutes old (or ahead): outside ClickFunnels' 600 s and Webflow's 300 s.
        const at = signing.timestamp;
        if (at)
          for (const [what, seconds] of [
            ['old timestamp', -20 * 60],
            ['future timestamp', 20 * 60],
          ] as const) {
            const shifted = at.shifted(seconds);
            const headers = { [at.header]: shifted, [signing.header]: signing.sign(secret, captured.body, shifted) };
            refusals.push([what, { headers }, 401, 'event_too_old']);
          }
      }
      refusals.push([
        'unknown token',
        { path: `/events/${k.provider}/${randomBytes(32).toString('base64url')}` },
        404,
        'not_found',
      ]);
      for (const [what, change, status, code] of refusals) {
        const res = await replay(t, captured, change);
        expect({ what, status: res.status, code: res.body?.code }).toEqual({ what, status, code });
      }
      // A genuine event sent after them arrives; nothing else did.
      const control = await deliver(k, c, s);
      expect(forwardedTo(s).map((w) => w.id)).toEqual([first.forwarded.id, control.forwarded.id]);
      expect(receiver.of('provider.event', { connectionId: c.id })).toHaveLength(2);
    });

    it('the same delivery twice (exact bytes and headers): both 2xx, forwarded once', async () => {
      const before = forwardedTo(s).length;
      const sent = await deliver(k, c, s);
      for (let i = 0; i < 2; i++) {
        const again = await replay(t, sent.captured);
        expect(again.status).toBe(200);
        expect(again.body).toEqual({ received: true });
      }
      const control = await deliver(k, c, s);
      expect(
        forwardedTo(s)
          .slice(before)
          .map((w) => w.id),
      ).toEqual([sent.forwarded.id, control.forwarded.id]);
      expect(receiver.of('provider.event', (data) => isDeepStrictEqual(data.payload, sent.payload))).toHaveLength(1);
    });

    it('DELETE /connections/{id}/subscriptions/{sid}: the simulator no longer lists the webhook; its URL is dead', async () => {
      const res = await t.api.delete(`/connections/${c.id}/subscriptions/${s.subscription.id}`).expect(200);
      expect(res.body).toEqual({ id: s.subscription.id, removedAtProvider: true });
      const left = (await sandboxHooks(t, k.provider, c.accountId)).map((h) => h.id);
      for (const hook of s.hooks) expect(left).not.toContain(hook.id);
      const listed = await t.api.get(`/connections/${c.id}/subscriptions`).expect(200);
      expect(listed.body.data.map((x: { id: string }) => x.id)).not.toContain(s.subscription.id);
      const answer = await sendTestEvent(t, k.provider, { accountId: c.accountId, type: k.events[0] });
      expect(answer.deliveries.map((d) => d.url)).not.toContain(s.url);
      const late = await replay(t, first.captured);
      expect([late.status, late.body?.code]).toEqual([404, 'not_found']);
    });

    it('DELETE /connections/{id} with a subscription removes its webhooks at the simulator first', async () => {
      const again = await subscribe(k.provider, c, k.events);
      const subscriptions = await t.api.get(`/connections/${c.id}/subscriptions`).expect(200);
      expect(subscriptions.body.data.map((x: { id: string }) => x.id)).toContain(again.subscription.id);
      const res = await t.api.delete(`/connections/${c.id}`).expect(200);
      // The simulator answered at once: removed with the connection's token before it was revoked.
      expect(await sandboxHooks(t, k.provider, c.accountId)).toEqual([]);
      expect(res.body).toMatchObject({
        id: c.id,
        subscriptions: { removed: subscriptions.body.data.length, queued: 0 },
      });
      await t.api.get(`/connections/${c.id}`).expect(404);
    });
  });

  describe.each([
    { provider: 'clickfunnels' as const, events: ['contact.created', 'platform_application.disconnected'] },
    { provider: 'lightfunnels' as const, events: ['app/uninstalled'] },
  ])('uninstall: $provider', ({ provider, events }) => {
    const uninstallEvent = events.at(-1)!;

    it(`the simulator's ${uninstallEvent}: the connection is revoked, connection.revoked arrives, credentials 409 connection_revoked`, async () => {
      const c = await connect(provider, `pes-uninstall-${provider}`);
      const s = await subscribe(provider, c, events);
      const answer = await sendTestEvent(t, provider, { accountId: c.accountId, uninstall: true });
      expect(answer.event).toBe(uninstallEvent);
      expect(answer.deliveries).toContainEqual({
        webhookId: s.hooks[0].id,
        url: s.url,
        event: uninstallEvent,
        status: 200,
        delivered: true,
      });
      const connection = await t.api.get(`/connections/${c.id}`).expect(200);
      expect(connection.body).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
      const [revoked] = await receiver.waitFor('connection.revoked', { connectionId: c.id });
      expect(revoked.data).toMatchObject({ connectionId: c.id, provider, ownerId: c.ownerId });
      const [event] = await receiver.waitFor('provider.event', { subscriptionId: s.subscription.id });
      expect(event.data).toMatchObject({ connectionId: c.id, event: uninstallEvent, provider });
      const credentials = await t.api.get(`/connections/${c.id}/credentials`).expect(409);
      expect(credentials.body.code).toBe('connection_revoked');
    });
  });

  it('LIGHTFUNNELS_SUBSCRIBE_UNINSTALL: a Lightfunnels connection is subscribed to app/uninstalled at connect; its uninstall revokes it; the reconnect after it subscribes anew, a plain reconnect does not', async () => {
    const c = await connect('lightfunnels', 'pes-auto-uninstall');
    const subscriptions = await t.api.get(`/connections/${c.id}/subscriptions`).expect(200);
    expect(subscriptions.body.data).toEqual([
      expect.objectContaining({
        connectionId: c.id,
        provider: 'lightfunnels',
        events: ['app/uninstalled'],
        status: 'active',
      }),
    ]);
    const hooks = await sandboxHooks(t, 'lightfunnels', c.accountId);
    expect(hooks).toEqual([expect.objectContaining({ events: ['app/uninstalled'], account: c.accountId })]);
    const prefix = `${t.baseUrl}/events/lightfunnels/`;
    expect(hooks[0].url.startsWith(prefix)).toBe(true);
    expect(hooks[0].url.slice(prefix.length)).toMatch(TOKEN);

    const answer = await sendTestEvent(t, 'lightfunnels', { accountId: c.accountId, uninstall: true });
    expect(answer.deliveries).toEqual([expect.objectContaining({ url: hooks[0].url, status: 200 })]);
    expect((await t.api.get(`/connections/${c.id}`).expect(200)).body.status).toBe('revoked');
    await receiver.waitFor('connection.revoked', { connectionId: c.id });
    expect((await t.api.get(`/connections/${c.id}/credentials`).expect(409)).body.code).toBe('connection_revoked');

    // The user installs the app again: same connection, and one uninstall webhook, not the old one.
    const revived = await connect('lightfunnels', 'pes-auto-uninstall');
    expect(revived.id).toBe(c.id);
    const after = (await t.api.get(`/connections/${c.id}/subscriptions`).expect(200)).body.data;
    expect(after).toEqual([expect.objectContaining({ events: ['app/uninstalled'], status: 'active' })]);
    expect(after[0].id).not.toBe(subscriptions.body.data[0].id);
    const rehooked = await sandboxHooks(t, 'lightfunnels', c.accountId);
    expect(rehooked).toEqual([expect.objectContaining({ events: ['app/uninstalled'] })]);
    expect(rehooked[0].url).not.toBe(hooks[0].url);

    // A reconnect of an active connection keeps what it has: no second uninstall webhook.
    await connect('lightfunnels', 'pes-auto-uninstall');
    expect(
      (await t.api.get(`/connections/${c.id}/subscriptions`).expect(200)).body.data.map((x: { id: string }) => x.id),
    ).toEqual([after[0].id]);
    expect(await sandboxHooks(t, 'lightfunnels', c.accountId)).toEqual(rehooked);
  });
});
