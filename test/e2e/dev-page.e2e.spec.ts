import { tokenContext } from '../../src/connections/token-context';
import { TokenCipher } from '../../src/crypto/token-cipher';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { freePort } from '../../src/database/embedded-postgres';
import { readAnswer, SHOWN_BYTES } from '../../src/dev/page/api-answer';
import { DEMO_OWNER } from '../../src/dev/page/dev.controller';
import { shownUrl } from '../../src/dev/page/dev-events';
import type { ProxyAnswer } from '../../src/proxy/proxy.service';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher';
import { startTestApp, TestApp } from '../support/app';
import { FakeProvider } from '../support/fake-provider';
import { BROWSER_PACKAGE } from '../support/host-page';
import { addFault, clearSandbox, connectThroughSandbox, refreshCalls, unescapeHtml } from '../support/sandbox-flow';

/** What the page shows of a call: the provider's status and answer (JSON parsed), or the service's error. */
function shownCall(html: string): { status?: number; answer?: unknown; error?: string } {
  const status = /<strong id="call-status">(\d+)<\/strong>/.exec(html)?.[1];
  const answer = /<pre id="call-answer">([^<]*)<\/pre>/.exec(html)?.[1];
  const error = /<p class="err" id="call-error">([^]*?)<\/p>/.exec(html)?.[1];
  return {
    ...(status !== undefined && { status: Number(status) }),
    ...(answer !== undefined && { answer: JSON.parse(unescapeHtml(answer)) as unknown }),
    ...(error !== undefined && { error: unescapeHtml(error.replace(/<[^>]+>/g, '')) }),
  };
}

/** What the page shows of its last Subscribe or Send a test event. */
function shownAction(html: string): { status?: number; answer?: unknown; error?: string; note?: string } {
  const status = /<strong id="action-status">(\d+)<\/strong>/.exec(html)?.[1];
  const answer = /<pre id="action-answer">([^<]*)<\/pre>/.exec(html)?.[1];
  const error = /<p class="err" id="action-error">([^]*?)<\/p>/.exec(html)?.[1];
  const note = /<p class="err" id="action-note">([^]*?)<\/p>/.exec(html)?.[1];
  const text = (s: string) => unescapeHtml(s.replace(/<[^>]+>/g, ''));
  return {
    ...(status !== undefined && { status: Number(status) }),
    ...(answer !== undefined && { answer: JSON.parse(unescapeHtml(answer)) as unknown }),
    ...(error !== undefined && { error: text(error) }),
    ...(note !== undefined && { note: text(note) }),
  };
}

/** The cells of each body row of the page's table with this id ([] when the page has no such table). */
function tableRows(html: string, id: string): string[][] {
  const table = new RegExp(`<table id="${id}">([^]*?)</table>`).exec(html)?.[1];
  const body = table && /<tbody>([^]*?)<\/tbody>/.exec(table)?.[1];
  if (!body) return [];
  return [...body.matchAll(/<tr[^>]*>([^]*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<td>([^]*?)<\/td>/g)].map((cell) => unescapeHtml(cell[1].replace(/<[^>]+>/g, ''))),
  );
}

/** A connection's tokens as stored (decrypted): the access token, and the refresh token if any. */
async function storedTokens(t: TestApp, id: string): Promise<string[]> {
  const [row] = await t.dataSource.query('SELECT access_token, refresh_token FROM connections WHERE id = $1', [id]);
  const cipher = t.app.get(TokenCipher);
  return [
    cipher.decrypt(row.access_token, tokenContext(id, 'access_token')),
    ...(row.refresh_token ? [cipher.decrypt(row.refresh_token, tokenContext(id, 'refresh_token'))] : []),
  ];
}

/** A form post from the page (its Origin; `null`: none, as a client that is not a browser). */
function postForm(t: TestApp, path: string, form = '', origin: string | null = t.baseUrl) {
  const req = t.anon.post(path).type('form');
  return (origin === null ? req : req.set('Origin', origin)).send(form);
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Per provider: what its sample call's answer looks like in the sandbox. */
const ANSWERS: Record<string, unknown> = {
  keap: { contacts: expect.any(Array), count: expect.any(Number), next: null, previous: null },
  'clickfunnels-classic': [
    expect.objectContaining({ id: expect.any(Number), name: expect.any(String) }),
    expect.objectContaining({ id: expect.any(Number), name: expect.any(String) }),
  ],
  webflow: { sites: [expect.objectContaining({ id: expect.stringMatching(/^[0-9a-f]{24}$/) })] },
  lightfunnels: {
    data: {
      orders: { edges: expect.arrayContaining([{ node: expect.objectContaining({ id: expect.any(String) }) }]) },
    },
  },
  clickfunnels: expect.objectContaining({ id: expect.any(Number), subdomain: expect.any(String) }),
};

/**
 * The development page's "Call the API" (POST /dev/connections/{id}/call): one sample call of each
 * provider's API slice through the proxy, the provider's status and answer rendered on the page, never
 * a token; only the demo owner's connections, only from the page's own origin.
 */
describe('development page: Call the API', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ port: await freePort() });
  }, 60_000);
  afterAll(() => t?.close());

  const call = (id: string, origin: string | null = t.baseUrl) => {
    const req = t.anon.post(`/dev/connections/${id}/call`).type('form').send('');
    return origin === null ? req : req.set('Origin', origin);
  };

  it.each(Object.keys(ANSWERS))(
    '%s: the sample call answers 200 with the provider JSON, and no token is on the page',
    async (provider) => {
      const id = await connectThroughSandbox(t, provider, DEMO_OWNER, `dev-${provider}`);
      const res = await call(id).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      // One script may run: the page's own, by its nonce (the HTTP layer adds frame-ancestors).
      expect(res.headers['content-security-policy']).toMatch(
        /^default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; script-src 'nonce-[A-Za-z0-9+/]{22}=='; connect-src 'self'(;|$)/,
      );
      expect(res.headers['cache-control']).toBe('no-store');
      // Else browsers would send `Origin: null` on the next form post from this page, which is refused.
      expect(res.headers['referrer-policy']).toBe('same-origin');
      expect(shownCall(res.text)).toEqual({ status: 200, answer: ANSWERS[provider] });
      // The page still lists the connections, the called one highlighted, each with its button.
      expect(res.text).toContain(`<tr data-connection-id="${id}" class="new">`);
      expect(res.text).toContain(`id="call-${id}"`);
      const tokens = await storedTokens(t, id);
      expect(tokens).toHaveLength(provider === 'keap' || provider === 'clickfunnels-classic' ? 2 : 1);
      for (const token of tokens) expect(res.text).not.toContain(token);
    },
  );

  it("escapes the provider's answer", async () => {
    const id = await connectThroughSandbox(t, 'keap', DEMO_OWNER, 'dev-escape');
    await t.api
      .post(`/proxy/${id}/contacts`)
      .send({
        given_name: '<script>alert("x")</script>',
        email_addresses: [{ email: 'x@example.com', field: 'EMAIL1' }],
      })
      .expect(201);
    const res = await call(id).expect(200);
    // The page's own script (one, with the answer's nonce) is the only one: the answer's is text.
    expect(res.text.match(/<script/g)).toEqual(['<script']);
    expect(res.text).toMatch(/<script type="module" nonce="[^"]+">\nimport \{ connect/);
    expect(res.text).toContain('&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;');
    const shown = shownCall(res.text) as { answer: { contacts: { given_name: string }[] } };
    expect(shown.answer.contacts.map((c) => c.given_name)).toEqual(['<script>alert("x")</script>']);
  });

  it("renews the token on the provider's 401 and shows the answer of the replay", async () => {
    const id = await connectThroughSandbox(t, 'keap', DEMO_OWNER, 'dev-renew');
    await clearSandbox(t, 'keap');
    await addFault(t, 'keap', { endpoint: 'api', kind: 'invalid_token', remaining: 1 });
    const res = await call(id).expect(200);
    expect(shownCall(res.text)).toEqual({ status: 200, answer: ANSWERS.keap });
    expect((await refreshCalls(t, 'keap')).filter((c) => c.status === 200)).toHaveLength(1);
  });

  it("shows the provider's error status and body as they came", async () => {
    const id = await connectThroughSandbox(t, 'webflow', DEMO_OWNER, 'dev-fault');
    await addFault(t, 'webflow', { endpoint: 'api', kind: 'rate_limit', retryAfter: '7' });
    const res = await call(id).expect(200);
    expect(shownCall(res.text)).toEqual({
      status: 429,
      answer: expect.objectContaining({ code: 'too_many_requests' }),
    });
    await clearSandbox(t, 'webflow');
  });

  it("shows the service's error when no call can be made (a connection that needs its user again)", async () => {
    const id = await connectThroughSandbox(t, 'webflow', DEMO_OWNER, 'dev-reauth');
    await t.dataSource.query(`UPDATE connections SET status = 'needs_reauth' WHERE id = $1`, [id]);
    const res = await call(id).expect(200);
    expect(shownCall(res.text)).toEqual({ error: expect.stringContaining('connection_needs_reauth') });
  });

  it("answers 404 for another owner's connection and for an unknown one, 400 for a malformed id", async () => {
    const other = await connectThroughSandbox(t, 'keap', 'someone-else');
    expect((await call(other).expect(404)).body.code).toBe('connection_not_found');
    await call('0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70').expect(404);
    await call('not-a-uuid').expect(400);
  });

  it('refuses cross-site posts (403) before looking at the connection; a post without Origin is taken', async () => {
    const id = await connectThroughSandbox(t, 'keap', DEMO_OWNER, 'dev-origin');
    const refused = await call(id, 'https://evil.example').expect(403);
    expect(refused.text).toBe('Forbidden: cross-site request');
    await call('0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70', 'https://evil.example').expect(403);
    await call(id, 'null').expect(403);
    await call(id, null).expect(200);
  });

  it('without WEBHOOK_URL a test event is stored, and the page says it was not forwarded', async () => {
    const id = await connectThroughSandbox(t, 'webflow', DEMO_OWNER, 'dev-events');
    await postForm(t, `/dev/connections/${id}/subscriptions`, 'event=site_publish').expect(200);
    const sent = await postForm(t, `/dev/connections/${id}/test-event`).expect(200);
    expect(shownAction(sent.text)).toMatchObject({ status: 200 });
    expect(sent.text).toContain('No <code>WEBHOOK_URL</code> is set');
    expect(tableRows(sent.text, `inbound-events-${id}`)).toEqual([
      ['site_publish', expect.stringMatching(ISO_TIME), 'not forwarded'],
    ]);
  });
});

/** The four providers whose webhooks the service registers (ClickFunnels Classic has none). */
const WITH_EVENTS = ['keap', 'webflow', 'lightfunnels', 'clickfunnels'];

/**
 * The development page's Connect buttons with JavaScript (src/dev/page/dev-script.ts): the page's one
 * script, allowed by its nonce, imports the browser package the dev module serves and asks the form
 * route for a session as JSON; without JavaScript the same forms redirect (sandbox-flows.browser.spec.ts
 * drives both in Chromium).
 */
describe('development page: Connect in a popup (the browser package)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ port: await freePort() });
  }, 60_000);
  afterAll(() => t?.close());

  it('serves the built package at /dev/connect.js, the one script the page may load besides its nonced own', async () => {
    const res = await t.anon.get('/dev/connect.js').expect(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.text).toBe(fs.readFileSync(BROWSER_PACKAGE, 'utf8'));
    expect(res.text).toMatch(/export function connect\(/);

    const page = await t.anon.get('/').expect(200);
    const nonce = /script-src 'nonce-([^']+)'/.exec(page.headers['content-security-policy'])?.[1];
    expect(nonce).toBeDefined();
    const scripts = [...page.text.matchAll(/<script([^>]*)>([^]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0][1]).toBe(` type="module" nonce="${nonce}"`);
    expect(scripts[0][2]).toContain("import { connect, handleRedirectResult } from '/dev/connect.js'");
    // A new nonce per answer.
    const again = await t.anon.get('/').expect(200);
    expect(again.headers['content-security-policy']).not.toContain(nonce);
    // The popup keeps its opener: same-origin would cut it off.
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin-allow-popups');
    // Every Connect form is still a plain form (no JavaScript needed), marked for the script.
    expect(page.text).toContain('<form method="post" action="/dev/connect/keap" data-connect="keap">');
  });

  it('the form route answers JSON {url, id, observeToken} for the script, a redirect for a form; both refuse other sites', async () => {
    const json = await t.anon
      .post('/dev/connect/keap')
      .set('Origin', t.baseUrl)
      .set('Accept', 'application/json')
      .expect(201);
    expect(Object.keys(json.body).sort()).toEqual(['id', 'observeToken', 'url']);
    expect(json.headers['cache-control']).toBe('no-store');
    expect(json.body.url).toMatch(new RegExp(`^${t.baseUrl}/oauth/keap/authorize\\?session=`));
    // A session that ends on the service's result page (no return URL), for the demo owner.
    const session = (await t.api.get(`/connect-sessions/${json.body.id}`).expect(200)).body;
    expect(session).toMatchObject({ id: json.body.id, status: 'pending' });
    const observed = await t.anon
      .get(`/connect/observe/${json.body.id}`)
      .query({ wait: 0 })
      .set('X-Observe-Token', json.body.observeToken)
      .expect(200);
    expect(observed.body).toMatchObject({ status: 'pending' });

    const form = await t.anon.post('/dev/connect/keap').set('Origin', t.baseUrl).redirects(0).expect(303);
    expect(form.headers.location).toMatch(new RegExp(`^${t.baseUrl}/oauth/keap/authorize\\?session=`));
    for (const accept of ['application/json', 'text/html']) {
      const refused = await t.anon
        .post('/dev/connect/keap')
        .set('Origin', 'https://evil.example')
        .set('Accept', accept)
        .expect(403);
      expect(refused.text).toBe('Forbidden: cross-site request');
    }
  });
});

/**
 * The development page's provider events: Subscribe (POST /dev/connections/{id}/subscriptions) registers
 * a webhook at the provider's simulator through the service's own SubscriptionsService; Send a test
 * event (POST /dev/connections/{id}/test-event) has the simulator post a signed event to what is
 * registered, which the service proves, stores and forwards as provider.event to WEBHOOK_URL (a
 * receiver here). The page lists the connection's subscriptions and latest events, never a payload,
 * a URL token or a secret; only the demo owner's connections, only from the page's own origin.
 */
describe('development page: Subscribe and Send a test event', () => {
  let t: TestApp;
  const receiver = new FakeProvider();

  beforeAll(async () => {
    await receiver.start();
    receiver.on('POST', '/hooks', { status: 204 });
    t = await startTestApp({
      port: await freePort(),
      env: {
        WEBHOOK_URL: `${receiver.url}/hooks`,
        WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
        WEBHOOK_DISPATCH_INTERVAL_MS: '0',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const subscribe = (id: string, form = '', origin?: string | null) =>
    postForm(t, `/dev/connections/${id}/subscriptions`, form, origin);
  const testEvent = (id: string, origin?: string | null) =>
    postForm(t, `/dev/connections/${id}/test-event`, '', origin);

  interface SimulatedHook {
    id: string;
    events: string[];
    url: string;
    status: string;
  }
  /** The simulator's webhooks of an account, as its listing shows them. */
  const registered = async (provider: string, accountId: string): Promise<SimulatedHook[]> =>
    (await t.anon.get(`/sandbox/${provider}/webhooks`).query({ accountId }).expect(200)).body.data;
  const accountOf = async (id: string): Promise<string> =>
    (await t.api.get(`/connections/${id}`).expect(200)).body.accountId;
  const subscriptionRows = (id: string): Promise<{ id: string }[]> =>
    t.dataSource.query('SELECT id FROM event_subscriptions WHERE connection_id = $1', [id]);
  const inboundEvents = (id: string): Promise<{ event_type: string; delivery_id: string | null }[]> =>
    t.dataSource.query(
      'SELECT event_type, delivery_id FROM inbound_events WHERE connection_id = $1 ORDER BY received_at',
      [id],
    );
  /** The provider.event deliveries the receiver got for a connection. */
  const forwarded = (id: string) =>
    receiver
      .requestsTo('/hooks')
      .map((r) => JSON.parse(r.rawBody) as { type: string; data: Record<string, unknown> })
      .filter((b) => b.type === 'provider.event' && b.data.connectionId === id);

  /** What the page must never show of a connection: its tokens, its URL tokens, the simulator's signing secrets. */
  async function secretsOf(id: string, provider: string, accountId: string): Promise<string[]> {
    const urlTokens = (await registered(provider, accountId)).map((h) => h.url.split('/').pop()!);
    const signing: { secret: string }[] = await t.dataSource.query(
      'SELECT secret FROM sandbox.webhooks WHERE provider = $1 AND account = $2 AND secret IS NOT NULL',
      [provider, accountId],
    );
    const stored: { secret: string }[] = await t.dataSource.query(
      'SELECT secret FROM event_subscriptions WHERE connection_id = $1 AND secret IS NOT NULL',
      [id],
    );
    return [
      ...(await storedTokens(t, id)),
      ...urlTokens,
      ...signing.map((r) => r.secret),
      ...stored.map((r) => r.secret),
      `sandbox-secret-${provider}`,
    ];
  }

  /** The string values of a JSON value, at any depth. */
  const leaves = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : value !== null && typeof value === 'object'
        ? Object.values(value).flatMap(leaves)
        : [];

  it.each(WITH_EVENTS)(
    '%s: Subscribe registers a webhook at the simulator and lists it; Send a test event is stored and forwarded as provider.event',
    async (provider) => {
      const id = await connectThroughSandbox(t, provider, DEMO_OWNER, `events-${provider}`);
      const accountId = await accountOf(id);
      // What the connection may already have (an uninstall subscription made at connect) stays as it is.
      const before = await registered(provider, accountId);

      const page = await t.anon.get('/').expect(200);
      const select = new RegExp(`<select id="event-${id}" name="event">([^]*?)</select>`).exec(page.text)?.[1] ?? '';
      const options = [...select.matchAll(/<option( selected)?>([^<]*)<\/option>/g)];
      const listed = (await t.api.get('/providers').expect(200)).body.data.find(
        (p: { name: string }) => p.name === provider,
      );
      // The select offers what GET /providers lists, the first selected: what Subscribe sends by default.
      expect(options.map((o) => unescapeHtml(o[2]))).toEqual(listed.events.names);
      expect(options.map((o) => Boolean(o[1]))).toEqual(options.map((_, i) => i === 0));
      expect(page.text).toContain(`<label class="vh" for="event-${id}">`);
      expect(page.text).toContain(`id="test-event-${id}"`);
      const event = listed.events.names[0] as string;

      const subscribed = await subscribe(id, `event=${encodeURIComponent(event)}`).expect(200);
      expect(subscribed.headers['content-type']).toMatch(/^text\/html/);
      expect(subscribed.headers['cache-control']).toBe('no-store');
      expect(subscribed.headers['referrer-policy']).toBe('same-origin');
      const created = shownAction(subscribed.text);
      expect(created).toEqual({
        status: 201,
        answer: {
          id: expect.any(String),
          connectionId: id,
          provider,
          events: [event],
          status: 'active',
          createdAt: expect.stringMatching(ISO_TIME),
        },
      });
      const subscriptionId = (created.answer as { id: string }).id;
      // The simulator has it, for the connection's account, to the service's events URL.
      const hooks = await registered(provider, accountId);
      const added = hooks.filter((h) => !before.some((b) => b.id === h.id));
      expect(added).toEqual([
        expect.objectContaining({
          events: [event],
          url: expect.stringMatching(new RegExp(`^${t.baseUrl}/events/${provider}/[A-Za-z0-9_-]{43}$`)),
          status: expect.stringMatching(/^(active|Verified)$/),
        }),
      ]);
      // The page lists the connection's subscriptions.
      expect(tableRows(subscribed.text, `subscriptions-${id}`)).toContainEqual([subscriptionId, event, 'active']);
      expect(tableRows(subscribed.text, `inbound-events-${id}`)).toEqual([]);

      const sent = await testEvent(id).expect(200);
      expect(shownAction(sent.text)).toEqual({
        status: 200,
        answer: {
          event: null,
          deliveries: [
            {
              webhookId: added[0].id,
              url: `${t.baseUrl}/events/${provider}/[hidden]`,
              event,
              status: 200,
              delivered: true,
            },
          ],
        },
      });
      // Stored for the connection (the service answers the simulator once it is), queued as provider.event.
      expect(await inboundEvents(id)).toEqual([{ event_type: event, delivery_id: expect.any(String) }]);
      expect(tableRows(sent.text, `inbound-events-${id}`)).toEqual([
        [event, expect.stringMatching(ISO_TIME), 'pending'],
      ]);
      expect(sent.text).toContain('<a href="/admin/webhooks">webhook deliveries</a>');

      await t.app.get(WebhookDispatcher).runOnce();
      const [delivered, ...more] = forwarded(id);
      expect(more).toEqual([]);
      expect(delivered.data).toMatchObject({ connectionId: id, ownerId: DEMO_OWNER, provider, subscriptionId, event });
      const after = await t.anon.get('/').expect(200);
      expect(tableRows(after.text, `inbound-events-${id}`)).toEqual([[event, expect.any(String), 'delivered']]);

      // Never a token, a URL token, a signing secret or the payload (its longer strings) on the page.
      const secrets = await secretsOf(id, provider, accountId);
      const payload = delivered.data.payload;
      const shownElsewhere = new Set([accountId, event, provider, id]);
      // Times are left out: the page shows when the event came, which may be the payload's own to the millisecond.
      const payloadStrings = leaves(payload).filter(
        (v) => v.length >= 12 && !shownElsewhere.has(v) && !ISO_TIME.test(v),
      );
      for (const html of [page.text, subscribed.text, sent.text, after.text]) {
        for (const secret of secrets) expect(html).not.toContain(secret);
        expect(html).not.toContain(JSON.stringify(payload));
        for (const value of payloadStrings) expect(html).not.toContain(value);
      }
    },
  );

  it('refuses a cross-site form (foreign Origin, or Origin: null) before anything is registered or sent', async () => {
    const id = await connectThroughSandbox(t, 'webflow', DEMO_OWNER, 'events-origin');
    const accountId = await accountOf(id);
    for (const origin of ['https://evil.example', 'null']) {
      const refused = await subscribe(id, 'event=site_publish', origin).expect(403);
      expect(refused.text).toBe('Forbidden: cross-site request');
      expect((await testEvent(id, origin).expect(403)).text).toBe('Forbidden: cross-site request');
    }
    // Before the connection is looked at: an unknown one is refused the same way.
    await subscribe('0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70', '', 'https://evil.example').expect(403);
    expect(await subscriptionRows(id)).toEqual([]);
    expect(await registered('webflow', accountId)).toEqual([]);

    // Registered from the page itself, a cross-site test event still sends nothing.
    await subscribe(id, 'event=site_publish').expect(200);
    await testEvent(id, 'https://evil.example').expect(403);
    expect(await inboundEvents(id)).toEqual([]);
    // A post without Origin (not a browser) is taken, as the page's other forms.
    await testEvent(id, null).expect(200);
    expect(await inboundEvents(id)).toEqual([{ event_type: 'site_publish', delivery_id: expect.any(String) }]);
  });

  it("answers 404 for another owner's connection and an unknown one, 400 for a malformed id; nothing registered", async () => {
    const other = await connectThroughSandbox(t, 'keap', 'someone-else', 'events-other');
    expect((await subscribe(other, 'event=contact.add').expect(404)).body.code).toBe('connection_not_found');
    expect((await testEvent(other).expect(404)).body.code).toBe('connection_not_found');
    expect(await subscriptionRows(other)).toEqual([]);
    await subscribe('0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70').expect(404);
    await testEvent('0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70').expect(404);
    await subscribe('not-a-uuid').expect(400);
    await testEvent('not-a-uuid').expect(400);
  });

  it("shows the service's refusal of an unknown or repeated event; nothing is registered", async () => {
    const id = await connectThroughSandbox(t, 'keap', DEMO_OWNER, 'events-refused');
    const unknown = await subscribe(id, 'event=no.such_event').expect(200);
    expect(shownAction(unknown.text)).toEqual({
      status: 400,
      error: expect.stringMatching(/^validation_failed events: "no\.such_event" is not an event of keap/),
    });
    const repeated = await subscribe(id, 'event=contact.add&event=contact.edit').expect(200);
    expect(shownAction(repeated.text)).toEqual({ status: 400, error: 'validation_failed event: one event name' });
    expect(await subscriptionRows(id)).toEqual([]);
    expect(await registered('keap', await accountOf(id))).toEqual([]);
  });

  it("Subscribe without a name takes the provider's first event; a test event with nothing registered says so", async () => {
    const id = await connectThroughSandbox(t, 'webflow', DEMO_OWNER, 'events-default');
    const nothing = await testEvent(id).expect(200);
    expect(shownAction(nothing.text)).toEqual({
      status: 200,
      answer: { event: null, deliveries: [] },
      note: 'No webhook of this account receives a test event: press Subscribe first.',
    });
    const subscribed = await subscribe(id).expect(200);
    expect(shownAction(subscribed.text)).toMatchObject({ status: 201, answer: { events: ['form_submission'] } });
  });

  it('ClickFunnels Classic has no events: no buttons; its routes show the refusal and send nothing', async () => {
    const id = await connectThroughSandbox(t, 'clickfunnels-classic', DEMO_OWNER, 'events-classic');
    const page = await t.anon.get('/').expect(200);
    const row = new RegExp(`<tr data-connection-id="${id}"[^>]*>([^]*?)</tr>`).exec(page.text)?.[1];
    expect(row).toContain('<small>no events</small>');
    expect(row).not.toContain(`action="/dev/connections/${id}/subscriptions"`);
    expect(page.text).not.toContain(`id="subscribe-${id}"`);
    expect(page.text).not.toContain(`id="test-event-${id}"`);
    const subscribed = await subscribe(id).expect(200);
    expect(shownAction(subscribed.text)).toEqual({
      status: 422,
      error: expect.stringMatching(/^events_not_supported /),
    });
    const sent = await testEvent(id).expect(200);
    expect(shownAction(sent.text)).toEqual({ error: expect.stringMatching(/^no_test_event /) });
    expect(await subscriptionRows(id)).toEqual([]);
  });
});

describe('what the page shows of a registered URL (shownUrl)', () => {
  it('hides the events route token and any query', () => {
    expect(shownUrl('http://127.0.0.1:3000/events/keap/abcDEF_-123')).toBe(
      'http://127.0.0.1:3000/events/keap/[hidden]',
    );
    expect(shownUrl('https://hooks.example/in?key=s3cret')).toBe('https://hooks.example/in?[hidden]');
    expect(shownUrl('not a url')).toBe('[hidden]');
  });
});

describe('what the page shows of an answer (readAnswer)', () => {
  const answer = (body: ProxyAnswer['body'], contentType = 'application/json'): ProxyAnswer => ({
    status: 200,
    headers: { 'content-type': contentType },
    body,
  });
  const stream = (chunks: string[]) =>
    Readable.from(chunks.map((c) => Buffer.from(c))) as unknown as ProxyAnswer['body'];

  it('pretty-prints JSON and hides string fields named like secrets', async () => {
    const body = { access_token: 'AT', nested: { clientSecret: 's', refresh_token: 'r', tokens: 3 }, name: 'x' };
    const shown = await readAnswer(answer(Buffer.from(JSON.stringify(body))));
    expect(shown).toMatchObject({ contentType: 'application/json', truncated: false });
    expect(shown.body).toBe(
      JSON.stringify(
        {
          access_token: '[hidden]',
          nested: { clientSecret: '[hidden]', refresh_token: '[hidden]', tokens: 3 },
          name: 'x',
        },
        null,
        2,
      ),
    );
  });

  it('shows other answers as text, and a long one shortened, with secret-looking members still hidden', async () => {
    expect((await readAnswer(answer(stream(['plain ', 'text']), 'text/plain'))).body).toBe('plain text');
    const long = JSON.stringify({ id_token: 'IDT', filler: 'x'.repeat(SHOWN_BYTES) });
    const shown = await readAnswer(answer(stream([long.slice(0, 1000), long.slice(1000)])));
    expect(shown.truncated).toBe(true);
    expect(Buffer.byteLength(shown.body)).toBeLessThanOrEqual(SHOWN_BYTES + '[hidden]'.length);
    expect(shown.body.startsWith('{"id_token":"[hidden]","filler":"xxx')).toBe(true);
  });
});
