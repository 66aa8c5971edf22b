import { randomUUID } from 'node:crypto';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TestApp } from '../support/app';
import { launchBrowser } from '../support/browser';
import { unescapeHtml } from '../support/sandbox-flow';
import { HostPage, startHostPage } from '../support/host-page';
import { waitFor } from '../support/wait';

/** What the host page keeps on `window` (test/support/host-page.ts). */
interface HostWindow {
  __connectOptions?: Record<string, unknown>;
  __result?: Record<string, unknown>;
  __events: { type: string }[];
  __messages: { origin: string; data: unknown }[];
  __redirectResult: unknown;
  __deliverSession(session: unknown): void;
  open: unknown;
  opener: unknown;
  axe: { run(): Promise<{ violations: { id: string; impact: string | null; nodes: unknown[] }[] }> };
}
/** The browser globals the page functions below use (the tests' tsconfig has no DOM types). */
declare const window: HostWindow;
declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
  body: { textContent: string | null } | null;
  activeElement: { id: string; getAttribute(name: string): string | null } | null;
};

/** What the product's backend hands its frontend: the three fields `connect()` takes, never the API key. */
interface Session {
  url: string;
  id: string;
  observeToken: string;
}

/** The observe channel's requests, as a Playwright route pattern. */
const OBSERVE = '**/connect/observe/**';
const AXE = require.resolve('axe-core/axe.min.js');
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

/**
 * Embedded connect (docs/connect.md) in a real Chromium, the same-origin policy intact: a product page on
 * another origin (and site: localhost, the service on 127.0.0.1) loads the browser package
 * (clients/browser) and connects through a popup, the hosted picker, or a full-page redirect when no
 * popup can be opened. The test plays the product's backend (it creates the session with the API key and
 * hands the page what the frontend gets) and the user (the sandbox provider's consent page).
 */
describe('embedded connect: the browser package against the service, in real Chromium', () => {
  let t: TestApp;
  let host: HostPage;
  let outsider: HostPage;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    const port = await freePort();
    const service = `http://127.0.0.1:${port}`;
    host = await startHostPage(service);
    outsider = await startHostPage(service);
    t = await startTestApp({ port, env: { ALLOWED_RETURN_URLS: `${host.origin}/` } });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await host?.close();
    await outsider?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterEach(async () => {
    await context.close();
  });

  async function createSession(body: Record<string, unknown>): Promise<Session> {
    const res = await t.api.post('/connect-sessions').send(body).expect(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      url: expect.any(String),
      expiresAt: expect.any(String),
      observeToken: expect.any(String),
      providers: expect.any(Array),
    });
    const { url, id, observeToken } = res.body as Session;
    return { url, id, observeToken };
  }

  async function openHost(origin = host.origin): Promise<void> {
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
  }

  /** The user's click on the host page's Connect button; the popup it opened. */
  async function clickConnect(options: Record<string, unknown>): Promise<Page> {
    await page.evaluate((o) => void (window.__connectOptions = o), options);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#connect')]);
    return popup;
  }

  /** The sandbox provider's consent page: approve (or deny) as `account`. */
  async function consent(popup: Page, account: string, decision: 'approve' | 'deny' = 'approve'): Promise<void> {
    await popup.waitForSelector('#account');
    await popup.fill('#account', account);
    // The result page may close the popup right away.
    await popup.click(`#${decision}`).catch((error: Error) => {
      if (!popup.isClosed()) throw error;
    });
  }

  /** What `connect()` resolved with on the host page. */
  async function result(timeout = 20_000): Promise<Record<string, unknown>> {
    await page.waitForFunction(() => window.__result !== undefined, undefined, { timeout });
    return page.evaluate(() => window.__result!);
  }

  const events = () => page.evaluate(() => window.__events);
  const messages = () => page.evaluate(() => window.__messages);

  /** One connection made through a popup as `account`; its id. */
  async function connectInPopup(body: Record<string, unknown>, account: string): Promise<Record<string, unknown>> {
    const session = await createSession(body);
    await openHost();
    const popup = await clickConnect({ session });
    await consent(popup, account);
    return result();
  }

  it('a popup opened in the click shows "Preparing…" until the session comes, then resolves with the new connection', async () => {
    // The observe channel cut off for this page: the result must come by the result page's message.
    await context.route(OBSERVE, (route) => route.abort());
    await openHost();
    const popup = await clickConnect({ deferred: true });
    // Opened before anything was awaited; the product's backend has not answered yet.
    await popup.waitForFunction(() => document.body?.textContent?.includes('Preparing'));
    expect(popup.url()).toBe('about:blank');
    const session = await createSession({ provider: 'keap', ownerId: 'owner-popup' });
    await page.evaluate((s) => window.__deliverSession(s), session);
    await popup.waitForURL(/\/sandbox\/keap\//);
    await consent(popup, 'popupuser');
    const outcome = await result();
    expect(outcome).toEqual({
      status: 'connected',
      connectionId: expect.any(String),
      provider: 'keap',
      sessionId: session.id,
    });
    const connection = (await t.api.get(`/connections/${outcome.connectionId as string}`).expect(200)).body;
    expect(connection).toMatchObject({ provider: 'keap', ownerId: 'owner-popup', accountId: 'abpopupuser' });
    const confirmed = (await t.api.get(`/connect-sessions/${session.id}`).expect(200)).body;
    expect(confirmed).toMatchObject({ id: session.id, status: 'connected', connectionId: outcome.connectionId });
    // The result page posted its message to exactly this page's origin, and the popup is gone.
    expect(await messages()).toEqual([
      {
        origin: new URL(t.baseUrl).origin,
        data: {
          type: 'oauth-connections:result',
          sessionId: session.id,
          status: 'connected',
          connectionId: outcome.connectionId,
          provider: 'keap',
        },
      },
    ]);
    await waitFor(() => popup.isClosed(), 'the popup closed');
    const seen = await events();
    expect(seen.map((e) => e.type)).toEqual(['opened', 'result']);
    expect(JSON.stringify(seen)).not.toContain(session.observeToken);
    expect(JSON.stringify(seen)).not.toContain(new URL(session.url).searchParams.get('session'));
    // The observe channel answers this page (its origin is allowed), with the token in a header.
    await context.unroute(OBSERVE);
    const observed = await page.evaluate(
      async ({ base, id, token }) =>
        (await fetch(`${base}/connect/observe/${id}?wait=0`, { headers: { 'X-Observe-Token': token } })).json(),
      { base: t.baseUrl, id: session.id, token: session.observeToken },
    );
    expect(observed).toMatchObject({ status: 'connected', connectionId: outcome.connectionId, provider: 'keap' });
  });

  it('the hosted picker: two providers, the user picks one in the popup', async () => {
    const session = await createSession({ providers: ['keap', 'webflow'], ownerId: 'owner-picker' });
    expect(new URL(session.url).pathname).toBe('/connect');
    await openHost();
    const popup = await clickConnect({ session });
    await popup.waitForURL(/\/connect\?/);
    expect(new URL(popup.url()).searchParams.get('origin')).toBe(host.origin);
    await popup.getByRole('link', { name: /Webflow/ }).click();
    await consent(popup, 'pickeruser');
    const outcome = await result();
    expect(outcome).toMatchObject({ status: 'connected', provider: 'webflow', sessionId: session.id });
    const connection = (await t.api.get(`/connections/${outcome.connectionId as string}`).expect(200)).body;
    expect(connection).toMatchObject({ provider: 'webflow', ownerId: 'owner-picker' });
  });

  it('the picker and the consent page work with the keyboard only (Tab, Enter)', async () => {
    const session = await createSession({ providers: ['webflow', 'keap'], ownerId: 'owner-keyboard' });
    await openHost();
    const popup = await clickConnect({ session });
    await popup.waitForURL(/\/connect\?/);
    const focused = () =>
      popup.evaluate(() => {
        const el = document.activeElement;
        return { id: el?.id ?? '', href: el?.getAttribute('href') ?? '' };
      });
    await tabUntil(popup, async () => (await focused()).href.includes('/oauth/keap/authorize'));
    await popup.keyboard.press('Enter');
    await popup.waitForSelector('#approve');
    await tabUntil(popup, async () => (await focused()).id === 'approve');
    await popup.keyboard.press('Enter').catch((error: Error) => {
      if (!popup.isClosed()) throw error;
    });
    expect(await result()).toMatchObject({ status: 'connected', provider: 'keap', sessionId: session.id });
  });

  it('window.open returning null: full-page redirect with return_to, handleRedirectResult() on the way back', async () => {
    const session = await createSession({ provider: 'keap', ownerId: 'owner-redirect' });
    await page.goto(`${host.origin}/?tab=integrations`);
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
    await page.evaluate(() => void (window.open = () => null));
    await page.evaluate((s) => void (window.__connectOptions = { session: s }), session);
    await page.click('#connect');
    await page.waitForURL(/\/sandbox\/keap\//);
    await consent(page, 'redirectuser');
    await page.waitForURL(`${host.origin}/**`);
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
    const outcome = (await page.evaluate(() => window.__redirectResult)) as Record<string, unknown>;
    expect(outcome).toEqual({
      status: 'connected',
      connectionId: expect.any(String),
      provider: 'keap',
      sessionId: session.id,
    });
    // The outcome's parameters are gone from the address bar; the page's own stay.
    expect(page.url()).toBe(`${host.origin}/?tab=integrations`);
    const connection = (await t.api.get(`/connections/${outcome.connectionId as string}`).expect(200)).body;
    expect(connection).toMatchObject({ ownerId: 'owner-redirect', accountId: 'abredirectuser' });
    // Read once: the same URL again (a reload, a shared link) yields nothing.
    await page.goto(
      `${host.origin}/?status=connected&connectionId=${outcome.connectionId as string}&provider=keap&sessionId=${session.id}`,
    );
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
    expect(await page.evaluate(() => window.__redirectResult)).toBeNull();
  });

  it("mode: 'redirect' with a session function: no popup, the page leaves once the session comes, and comes back", async () => {
    await openHost();
    await page.evaluate(() => void (window.__connectOptions = { deferred: true, mode: 'redirect' }));
    let popups = 0;
    page.on('popup', () => popups++);
    await page.click('#connect');
    const session = await createSession({ provider: 'webflow', ownerId: 'owner-redirect-mode' });
    await Promise.all([
      page.waitForURL(/\/sandbox\/webflow\//),
      page.evaluate((s) => window.__deliverSession(s), session),
    ]);
    await consent(page, 'redirectmode');
    await page.waitForURL(`${host.origin}/`);
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
    expect(await page.evaluate(() => window.__redirectResult)).toEqual({
      status: 'connected',
      connectionId: expect.any(String),
      provider: 'webflow',
      sessionId: session.id,
    });
    expect(popups).toBe(0);
  });

  it('a crafted return URL for a session this tab did not start is ignored and left alone', async () => {
    const crafted = `${host.origin}/?status=connected&connectionId=${randomUUID()}&provider=keap&sessionId=${randomUUID()}`;
    await page.goto(crafted);
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
    expect(await page.evaluate(() => window.__redirectResult)).toBeNull();
    expect(page.url()).toBe(crafted);
  });

  it("the popup's opener severed before the result: the observe channel still brings it", async () => {
    const session = await createSession({ provider: 'keap', ownerId: 'owner-severed' });
    await openHost();
    const popup = await clickConnect({ session });
    await popup.waitForSelector('#account');
    // As a provider page, a browser feature or a webview may do: the popup no longer knows its opener.
    await popup.evaluate(() => void (window.opener = null));
    await consent(popup, 'severeduser');
    const outcome = await result();
    expect(outcome).toMatchObject({ status: 'connected', provider: 'keap', sessionId: session.id });
    const connection = (await t.api.get(`/connections/${outcome.connectionId as string}`).expect(200)).body;
    expect(connection).toMatchObject({ ownerId: 'owner-severed', accountId: 'absevereduser' });
    // No message could come: the result came by the observe channel.
    expect(await messages()).toEqual([]);
  });

  it('the popup closed by the user: "closed" once the service says nothing completed', async () => {
    const session = await createSession({ provider: 'keap', ownerId: 'owner-closed' });
    await openHost();
    const popup = await clickConnect({ session });
    await popup.waitForSelector('#account');
    await popup.close();
    expect(await result()).toEqual({ status: 'closed', sessionId: session.id });
    expect((await events()).map((e) => e.type)).toEqual(['opened', 'closed', 'result']);
    expect((await t.api.get(`/connect-sessions/${session.id}`).expect(200)).body).toMatchObject({ status: 'pending' });
  });

  it('a reconnect with the same account keeps the connection id; another account is account_mismatch, the old connection untouched', async () => {
    const first = await connectInPopup({ provider: 'keap', ownerId: 'owner-reconnect' }, 'reconnectuser');
    expect(first).toMatchObject({ status: 'connected' });
    const id = first.connectionId as string;
    const before = (await t.api.get(`/connections/${id}/credentials`).expect(200)).body;

    const again = await connectInPopup({ reconnect: { connectionId: id } }, 'reconnectuser');
    expect(again).toMatchObject({ status: 'connected', connectionId: id, provider: 'keap' });
    const renewed = (await t.api.get(`/connections/${id}/credentials`).expect(200)).body;
    expect(renewed.accessToken).not.toBe(before.accessToken);

    const session = await createSession({ reconnect: { connectionId: id } });
    await openHost();
    const popup = await clickConnect({ session });
    await consent(popup, 'somebodyelse');
    expect(await result()).toEqual({ status: 'error', error: 'account_mismatch', sessionId: session.id });
    expect((await t.api.get(`/connect-sessions/${session.id}`).expect(200)).body).toMatchObject({
      status: 'error',
      error: 'account_mismatch',
    });
    const connection = (await t.api.get(`/connections/${id}`).expect(200)).body;
    expect(connection).toMatchObject({ ownerId: 'owner-reconnect', accountId: 'abreconnectuser', status: 'active' });
    const after = (await t.api.get(`/connections/${id}/credentials`).expect(200)).body;
    expect(after.accessToken).toBe(renewed.accessToken);
    const list = (await t.api.get('/connections').query({ ownerId: 'owner-reconnect' }).expect(200)).body.data;
    expect(list.map((c: { id: string }) => c.id)).toEqual([id]);
  });

  it('a host page on an origin outside ALLOWED_RETURN_URLS learns nothing: no message, the observe channel refused', async () => {
    const session = await createSession({ provider: 'keap', ownerId: 'owner-outsider' });
    await openHost(outsider.origin);
    const popup = await clickConnect({ session });
    await consent(popup, 'outsideruser');
    // The flow itself completes (the user approved), on the service's own result page.
    await popup.waitForSelector('#result[data-status="connected"]');
    const confirmed = (await t.api.get(`/connect-sessions/${session.id}`).expect(200)).body;
    expect(confirmed).toMatchObject({ status: 'connected' });
    // The page, holding the observe token, cannot read the outcome: CORS refuses its origin.
    const attempt = await page.evaluate(
      async ({ base, id, token }) =>
        fetch(`${base}/connect/observe/${id}?wait=0`, { headers: { 'X-Observe-Token': token } }).then(
          (res) => `answered ${res.status}`,
          (error: Error) => `refused ${error.name}`,
        ),
      { base: t.baseUrl, id: session.id, token: session.observeToken },
    );
    expect(attempt).toBe('refused TypeError');
    await popup.close();
    // Unconfirmed is never reported as a connection, nor as "closed".
    expect(await result()).toEqual({ status: 'error', error: 'observe_failed', sessionId: session.id });
    expect(await messages()).toEqual([]);
    // The same at the HTTP level: no CORS grant for the outsider, one for the allowed origin.
    const preflight = (origin: string) =>
      t.anon
        .options(`/connect/observe/${session.id}`)
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'x-observe-token');
    expect((await preflight(outsider.origin)).headers['access-control-allow-origin']).toBeUndefined();
    const allowed = await preflight(host.origin);
    expect(allowed.headers['access-control-allow-origin']).toBe(host.origin);
    expect(allowed.headers['access-control-allow-headers']).toMatch(/x-observe-token/i);
    const read = await t.anon
      .get(`/connect/observe/${session.id}`)
      .query({ wait: 0 })
      .set('Origin', outsider.origin)
      .set('X-Observe-Token', session.observeToken)
      .expect(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    // A wrong token learns nothing either.
    await t.anon.get(`/connect/observe/${session.id}`).query({ wait: 0 }).set('X-Observe-Token', 'x').expect(404);
  });

  it('the connect pages keep the opener, are never framed, cached or referred', async () => {
    const session = await createSession({ providers: ['keap', 'webflow'], ownerId: 'owner-headers' });
    const link = new URL(session.url);
    const picker = await t.anon.get(`${link.pathname}${link.search}`).expect(200);
    expect(picker.headers).toMatchObject({
      'cross-origin-opener-policy': 'unsafe-none',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    expect(picker.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    // Links to each provider's flow, carrying the opener's origin and the return URL along.
    const returnTo = `${host.origin}/settings?tab=1`;
    const carried = await t.anon
      .get(`${link.pathname}${link.search}`)
      .query({ origin: host.origin, return_to: returnTo })
      .expect(200);
    const links = [...carried.text.matchAll(/href="([^"]*\/oauth\/[^"]*)"/g)].map(
      (m) => new URL(unescapeHtml(m[1]), t.baseUrl),
    );
    expect(links.map((l) => l.pathname).sort()).toEqual(['/oauth/keap/authorize', '/oauth/webflow/authorize']);
    for (const l of links)
      expect(Object.fromEntries(l.searchParams)).toEqual({
        session: link.searchParams.get('session'),
        origin: host.origin,
        return_to: returnTo,
      });
  });

  describe('accessibility (axe-core; the axe runs only use bypassCSP, to inject axe into the pages)', () => {
    let axeContext: BrowserContext;
    let axePage: Page;
    beforeEach(async () => {
      axeContext = await browser.newContext({ bypassCSP: true, viewport: VIEWPORTS[0] });
      axePage = await axeContext.newPage();
    });
    afterEach(async () => {
      await axeContext.close();
    });

    /** Serious and critical violations on the current page at both viewports. */
    async function seriousViolations(): Promise<string[]> {
      const found: string[] = [];
      for (const viewport of VIEWPORTS) {
        await axePage.setViewportSize(viewport);
        await axePage.addScriptTag({ path: AXE });
        const violations = await axePage.evaluate(async () => {
          return (await window.axe.run()).violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            nodes: v.nodes.length,
          }));
        });
        for (const v of violations)
          if (v.impact === 'serious' || v.impact === 'critical')
            found.push(`${viewport.width}x${viewport.height} ${v.id} (${v.impact}, ${v.nodes} nodes)`);
      }
      return found;
    }

    it('the hosted picker: no serious or critical violation at 1280×800 and 390×844', async () => {
      const session = await createSession({ providers: ['keap', 'webflow', 'lightfunnels'], ownerId: 'owner-axe' });
      await axePage.goto(session.url);
      expect(await axePage.getByRole('link', { name: /Keap/ }).count()).toBe(1);
      expect(await seriousViolations()).toEqual([]);
    });

    it('the result pages (connected, failed): no serious or critical violation at both sizes', async () => {
      const ok = await createSession({ provider: 'keap', ownerId: 'owner-axe' });
      await axePage.goto(ok.url);
      await axePage.fill('#account', 'axeuser');
      await axePage.click('#approve');
      await axePage.waitForSelector('#result[data-status="connected"]');
      expect(await seriousViolations()).toEqual([]);

      const denied = await createSession({ provider: 'keap', ownerId: 'owner-axe' });
      await axePage.goto(denied.url);
      await axePage.click('#deny');
      await axePage.waitForSelector('#result[data-status="error"]');
      expect(await seriousViolations()).toEqual([]);
    });
  });
});

/** Presses Tab until `reached` holds (at most 30 times): keyboard-only navigation. */
async function tabUntil(page: Page, reached: () => Promise<boolean>): Promise<void> {
  for (let presses = 0; !(await reached()); presses++) {
    if (presses === 30) throw new Error('not reachable with Tab within 30 presses');
    await page.keyboard.press('Tab');
  }
}
