import { Browser, Page } from 'playwright-core';
import { tokenContext } from '../../src/connections/token-context';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TestApp } from '../support/app';
import { launchBrowser } from '../support/browser';
import { waitFor } from '../support/wait';

/**
 * What a user does: the product creates a connect session, the browser opens its link, the user
 * approves on the provider's consent page (the sandbox simulator) and lands back on the product.
 */
describe('connecting each provider in a real browser, through the sandbox simulators', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestApp({ port, env: { ALLOWED_RETURN_URLS: `http://127.0.0.1:${port}/done` } });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage();
  });
  afterEach(async () => {
    await page.close();
  });

  async function connectSession(provider: string, ownerId: string): Promise<string> {
    const res = await t.api
      .post('/connect-sessions')
      .send({ provider, ownerId, returnUrl: `${t.baseUrl}/done` })
      .expect(201);
    return res.body.url;
  }

  async function consent(url: string, decision: 'approve' | 'deny', account?: string): Promise<Record<string, string>> {
    await page.goto(url);
    if (account !== undefined) await page.fill('#account', account);
    await page.click(`#${decision}`);
    await page.waitForURL(/\/done\?/);
    return Object.fromEntries(new URL(page.url()).searchParams);
  }

  async function connected(provider: string, owner: string, account: string) {
    const landed = await consent(await connectSession(provider, owner), 'approve', account);
    expect(landed).toEqual({
      connectionId: expect.any(String),
      status: 'connected',
      provider,
      sessionId: expect.any(String),
    });
    const connection = (await t.api.get(`/connections/${landed.connectionId}`).expect(200)).body;
    expect(connection).toMatchObject({ provider, ownerId: owner, status: 'active' });
    const credentials = (await t.api.get(`/connections/${landed.connectionId}/credentials`).expect(200)).body;
    expect(credentials.accessToken).toMatch(/\S{20,}/);
    return { connection, credentials };
  }

  const hours = (iso: string) => (Date.parse(iso) - Date.now()) / 3_600_000;

  it('Keap: the app from the token scope, 24-hour expiry, a refresh token with its 45-day horizon', async () => {
    const { connection } = await connected('keap', 'owner-keap', 'alice');
    expect(connection).toMatchObject({ accountId: 'abalice', scopes: ['full'], hasRefreshToken: true });
    expect(hours(connection.expiresAt)).toBeCloseTo(24, 0);
    expect(hours(connection.refreshTokenExpiresAt) / 24).toBeCloseTo(45, 0);
  });

  it('ClickFunnels 2.0: one connection per workspace, with team and workspace names and the workspace URL', async () => {
    const { connection } = await connected('clickfunnels', 'owner-cf2', 'alice/shop');
    expect(connection).toMatchObject({
      teamName: "Alice's Team",
      workspaceName: 'Shop',
      hasRefreshToken: false,
      scopes: ['admin', 'read'],
    });
    expect(connection.accountId).toMatch(/^\d+$/);
    expect(connection.workspaceId).toBe(connection.accountId);
    expect(connection.teamId).toMatch(/^\d+$/);
    expect(connection.apiBaseUrl).toMatch(/^https?:\/\//);
    expect(hours(connection.expiresAt)).toBeCloseTo(2, 0);
    const other = await connected('clickfunnels', 'owner-cf2', 'alice/blog');
    expect(other.connection.id).not.toBe(connection.id);
    expect(other.connection.teamId).toBe(connection.teamId);
  });

  it('ClickFunnels Classic: one connection per owner (account "default") with a refresh token', async () => {
    const { connection } = await connected('clickfunnels-classic', 'owner-cfc', 'alice');
    expect(connection).toMatchObject({ accountId: 'default', hasRefreshToken: true });
  });

  it('Lightfunnels: the account from the GraphQL whoami, a permanent token, the requested scopes', async () => {
    const { connection } = await connected('lightfunnels', 'owner-lf', 'alice');
    expect(connection.accountId).toMatch(/^\d+$/);
    expect(connection).toMatchObject({ expiresAt: null, hasRefreshToken: false });
    expect(connection.scopes).toEqual(['orders', 'products']);
  });

  it('Webflow: the authorizing user, a permanent token; reconnecting updates the same connection', async () => {
    const first = await connected('webflow', 'owner-wf', 'alice');
    expect(first.connection.accountId).toMatch(/^[0-9a-f]{24}$/);
    expect(first.connection).toMatchObject({ expiresAt: null, hasRefreshToken: false });
    const again = await connected('webflow', 'owner-wf', 'alice');
    expect(again.connection.id).toBe(first.connection.id);
    expect(again.credentials.accessToken).not.toBe(first.credentials.accessToken);
  });

  it('Deny on the consent page ends with access_denied and stores nothing', async () => {
    const landed = await consent(await connectSession('keap', 'owner-deny'), 'deny');
    expect(landed).toEqual({ status: 'error', error: 'access_denied', sessionId: expect.any(String) });
    expect((await t.api.get('/connections').query({ ownerId: 'owner-deny' }).expect(200)).body.data).toEqual([]);
  });

  it('opening a finished flow’s link again ends with an error', async () => {
    const url = await connectSession('webflow', 'owner-reuse');
    expect((await consent(url, 'approve', 'reuse')).status).toBe('connected');
    await page.goto(url);
    await page.waitForURL(/\/done\?/);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({
      status: 'error',
      error: 'invalid_state',
    });
  });

  it('an expired connect link ends with session_expired', async () => {
    const url = await connectSession('keap', 'owner-expired');
    await t.dataSource.query(
      `UPDATE connect_sessions SET expires_at = now() - interval '1 second' WHERE owner_id = 'owner-expired'`,
    );
    await page.goto(url);
    await page.waitForURL(/\/done\?/);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({
      status: 'error',
      error: 'session_expired',
    });
  });

  it('the development page refuses cross-site posts', async () => {
    const res = await t.anon.post('/dev/connect/keap').set('Origin', 'https://evil.example').redirects(0);
    expect(res.status).toBe(403);
    const ok = await t.anon.post('/dev/connect/keap').set('Origin', t.baseUrl).redirects(0);
    expect(ok.status).toBe(303);
  });

  /**
   * The development page's Connect button as a user with JavaScript meets it: the flow opens in a popup
   * (the browser package, served by the dev module), the consent there, the page reloads with the new
   * connection. Returns its id.
   */
  async function connectOnDevPage(account: string): Promise<string> {
    await page.goto(`${t.baseUrl}/`);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#connect-keap')]);
    await popup.waitForSelector('#account');
    await popup.fill('#account', account);
    // The service's result page closes the popup once it has told the page.
    await popup.click('#approve').catch((error: Error) => {
      if (!popup.isClosed()) throw error;
    });
    await page.waitForURL(/status=connected/);
    await waitFor(() => popup.isClosed(), 'the popup closed');
    return new URL(page.url()).searchParams.get('connectionId')!;
  }

  it('the development page at / connects a provider in one click, in a popup, and shows the connection without tokens', async () => {
    const id = await connectOnDevPage('devpage');
    expect(await page.textContent('#banner')).toContain(id);
    const row = page.locator(`tr[data-connection-id="${id}"]`);
    expect(await row.textContent()).toContain('abdevpage');
    const { accessToken } = (await t.api.get(`/connections/${id}/credentials`).expect(200)).body;
    expect(await page.content()).not.toContain(accessToken);
  });

  it('the development page without JavaScript: the Connect form redirects to the flow and back', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const noScript = await context.newPage();
      await noScript.goto(`${t.baseUrl}/`);
      await noScript.click('#connect-keap');
      await noScript.fill('#account', 'devnoscript');
      await noScript.click('#approve');
      await noScript.waitForURL(/status=connected/);
      const id = new URL(noScript.url()).searchParams.get('connectionId')!;
      expect(await noScript.textContent('#banner')).toContain(id);
      expect(await noScript.locator(`tr[data-connection-id="${id}"]`).textContent()).toContain('abdevnoscript');
    } finally {
      await context.close();
    }
  });

  it('the development page calls a connection’s API through the proxy and shows the JSON answer without tokens', async () => {
    const id = await connectOnDevPage('devcall');
    await page.click(`#call-${id}`);
    await page.waitForURL(`${t.baseUrl}/dev/connections/${id}/call`);
    expect(await page.textContent('#call-result')).toContain('GET contacts');
    expect(await page.textContent('#call-status')).toBe('200');
    const answer = JSON.parse((await page.textContent('#call-answer'))!);
    expect(answer).toEqual({ contacts: [], count: 0, next: null, previous: null });
    // The simulator saw the call, with the connection's token (which the page never shows).
    const calls = (await t.anon.get('/sandbox/keap/calls').query({ endpoint: 'api' }).expect(200)).body;
    expect(calls.slice(-1)[0]).toMatchObject({ route: 'GET /contacts', status: 200 });
    const { accessToken } = (await t.api.get(`/connections/${id}/credentials`).expect(200)).body;
    const [stored] = await t.dataSource.query('SELECT refresh_token FROM connections WHERE id = $1', [id]);
    const refreshToken = t.app.get(TokenCipher).decrypt(stored.refresh_token, tokenContext(id, 'refresh_token'));
    const html = await page.content();
    expect(html).not.toContain(accessToken);
    expect(html).not.toContain(refreshToken);
    // The answer page lists the connections too: the same button calls again.
    await page.click(`#call-${id}`);
    expect(await page.textContent('#call-status')).toBe('200');
  });

  it('the development page’s API call refuses a cross-site form post', async () => {
    const id = (await t.api.get('/connections').query({ ownerId: 'demo-user' }).expect(200)).body.data[0].id;
    // Another site with a form posting to the route: the browser sends its Origin.
    await page.route('http://evil.example/', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<form method="post" action="${t.baseUrl}/dev/connections/${id}/call"><button id="go">go</button></form>`,
      }),
    );
    await page.goto('http://evil.example/');
    const [response] = await Promise.all([
      page.waitForResponse(`${t.baseUrl}/dev/connections/${id}/call`),
      page.click('#go'),
    ]);
    expect(response.status()).toBe(403);
    expect(await response.text()).toBe('Forbidden: cross-site request');
    const res = await t.anon.post(`/dev/connections/${id}/call`).set('Origin', 'https://evil.example').redirects(0);
    expect(res.status).toBe(403);
  });
});
