import { randomBytes } from 'node:crypto';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { tokenContext } from '../../src/connections/token-context';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { freePort } from '../../src/database/embedded-postgres';
import { ProviderCatalog } from '../../src/providers/core/provider-catalog';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { docsScreenshot, launchBrowser } from '../support/browser';
import { consoleSignInInBrowser } from '../support/console-browser';
import { connectThroughSandbox, refreshCalls } from '../support/sandbox-flow';

/**
 * The console's connection pages in a real browser, signed in like an operator: the list (filters,
 * pages), one connection, and its actions (refresh now, verify, reconnect link, delete) against
 * sandbox connections. No page may show a token; every control is labelled; phones need no sideways
 * scrolling of the page.
 */
describe('console: connections in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** The HTML of every page visited, checked at the end for tokens. */
  const seen: { url: string; html: string }[] = [];
  /** Every access and refresh token the connections of this file have held. */
  const tokens = new Set<string>();

  const keapOwner = 'console-keap-owner';
  const webflowOwner = 'console-webflow-owner';
  let keapId: string;
  let webflowId: string;

  /** Reads what the service holds for a connection: the token /credentials hands out and the stored refresh token. */
  async function collectTokens(id: string): Promise<void> {
    const { accessToken } = (await t.api.get(`/connections/${id}/credentials`).expect(200)).body;
    tokens.add(accessToken);
    const [row] = await t.dataSource.query('SELECT access_token, refresh_token FROM connections WHERE id = $1', [id]);
    const cipher = t.app.get(TokenCipher);
    tokens.add(cipher.decrypt(row.access_token, tokenContext(id, 'access_token')));
    if (row.refresh_token) tokens.add(cipher.decrypt(row.refresh_token, tokenContext(id, 'refresh_token')));
  }

  async function imported(ownerId: string, accountId: string): Promise<string> {
    const accessToken = `AT-cc-${randomBytes(12).toString('hex')}`;
    const refreshToken = `RT-cc-${randomBytes(12).toString('hex')}`;
    tokens.add(accessToken).add(refreshToken);
    const res = await t.api
      .post('/connections')
      .send({ provider: 'keap', ownerId, accountId, accessToken, refreshToken, expiresIn: 86_400 })
      .expect(201);
    return res.body.id as string;
  }

  /**
   * Two subscriptions (one with a long list of event names) and three events (one with a long type)
   * for `id`, written straight into the tables, without deliveries: none is forwarded.
   */
  async function withEvents(id: string): Promise<void> {
    const names = Array.from({ length: 12 }, (_, i) => `contact.custom_event_${i}`);
    for (const [events, status] of [
      [names, 'active'],
      [['contact.add'], 'pending_verification'],
    ] as const)
      await t.dataSource.query(
        `INSERT INTO event_subscriptions (id, connection_id, provider, events, status, token_hash)
         VALUES (gen_random_uuid(), $1, 'keap', $2, $3, $4)`,
        [id, events, status, randomBytes(32).toString('hex')],
      );
    const at = Date.now() - 600_000;
    for (const [i, type] of ['contact.add', 'contact.edit', `order.${'x'.repeat(90)}`].entries())
      await t.dataSource.query(
        `INSERT INTO inbound_events (id, provider, dedupe_key, connection_id, event_type, received_at)
         VALUES (gen_random_uuid(), 'keap', $1, $2, $3, $4)`,
        [`console:${randomBytes(8).toString('hex')}`, id, type, new Date(at + i * 1000)],
      );
  }

  /** Every visible input and select has a <label for> naming it. */
  async function expectLabelled(): Promise<void> {
    // A string: the test program has no DOM types (tsconfig lib), the page has the DOM.
    const unlabelled = await page.evaluate(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((c) => !c.id || !document.querySelector('label[for="' + CSS.escape(c.id) + '"]')?.textContent?.trim())
      .map((c) => c.outerHTML)`);
    expect(unlabelled).toEqual([]);
  }

  const pageWidth = () => page.evaluate('document.documentElement.scrollWidth');

  /** Keeps the page's HTML for the token check and checks its labels. */
  async function record(): Promise<void> {
    seen.push({ url: page.url(), html: await page.content() });
    await expectLabelled();
  }

  async function visit(url: string, status = 200): Promise<void> {
    const response = await page.goto(`${t.baseUrl}${url}`);
    expect(response?.status()).toBe(status);
    await record();
  }

  /** The ids of the rows of the list on the page. */
  const rowIds = () =>
    page.$$eval('#connections tbody tr', (rows) => rows.map((r) => r.getAttribute('data-connection-id')!));

  beforeAll(async () => {
    t = await startTestApp({ port: await freePort(), env: { ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0' } });
    browser = await launchBrowser();
    keapId = await connectThroughSandbox(t, 'keap', keapOwner, 'consolekeap');
    webflowId = await connectThroughSandbox(t, 'webflow', webflowOwner, 'consolewf');
    await collectTokens(keapId);
    await collectTokens(webflowId);
    // Signed in once, through the form, like an operator; the session cookie serves every test.
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    await consoleSignInInBrowser(page, t.baseUrl, TEST_API_KEY, '/admin/connections');
    await page.close();
  }, 90_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => {
    page = await context.newPage();
  });
  afterEach(async () => {
    await page.close();
  });

  it('lists connections and filters them by provider, status and owner', async () => {
    const stuck = await imported('console-stuck-owner', 'stuck');
    await t.dataSource.query(`UPDATE connections SET status = 'needs_reauth' WHERE id = $1`, [stuck]);

    await visit('/admin/connections');
    expect(await page.getAttribute('nav a[aria-current="page"]', 'href')).toBe('/admin/connections');
    const all = await rowIds();
    expect(all).toEqual(expect.arrayContaining([keapId, webflowId, stuck]));
    const keapRow = page.locator(`tr[data-connection-id="${keapId}"]`);
    expect(await keapRow.locator('td').nth(0).textContent()).toBe('keap');
    expect(await keapRow.locator('td').nth(1).textContent()).toBe(keapOwner);
    expect(await keapRow.locator('td').nth(2).textContent()).toBe('abconsolekeap');
    expect(await keapRow.locator('.status').getAttribute('class')).toBe('status st-active');
    expect(await keapRow.locator('td').nth(4).textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);

    // Provider.
    await page.selectOption('#filter-provider', 'webflow');
    await Promise.all([page.waitForURL(/provider=webflow/), page.click('#apply-filters')]);
    await record();
    expect(await rowIds()).toEqual([webflowId]);
    expect(await page.inputValue('#filter-provider')).toBe('webflow');

    // Status (provider back to any).
    await page.selectOption('#filter-provider', '');
    await page.selectOption('#filter-status', 'needs_reauth');
    await Promise.all([page.waitForURL(/status=needs_reauth/), page.click('#apply-filters')]);
    await record();
    expect(await rowIds()).toEqual([stuck]);
    expect(await page.locator(`tr[data-connection-id="${stuck}"] .status`).getAttribute('class')).toBe(
      'status st-needs_reauth',
    );

    // Owner id, with the status filter still on: nothing; then alone.
    await page.fill('#filter-owner', keapOwner);
    await Promise.all([page.waitForURL(/ownerId=/), page.click('#apply-filters')]);
    await record();
    expect(await page.textContent('#no-connections')).toBe('No connection matches these filters.');
    await page.selectOption('#filter-status', '');
    await Promise.all([page.waitForURL((u) => !u.search.includes('status=needs')), page.click('#apply-filters')]);
    await record();
    expect(await rowIds()).toEqual([keapId]);
    await Promise.all([page.waitForURL(`${t.baseUrl}/admin/connections`), page.click('#clear-filters')]);
    expect((await rowIds()).length).toBe(all.length);
  });

  it('answers filters the API would refuse with a message on the page, not an error', async () => {
    await visit('/admin/connections?status=sleeping&provider=Not%20A%20Name', 400);
    expect(await page.textContent('.flash.error')).toContain('These filters cannot be used (provider, status)');
    expect(await page.inputValue('#filter-status')).toBe('');
    expect(await page.$('#connections')).toBeNull();
    await visit(`/admin/connections?ownerId=${'x'.repeat(300)}`, 400);
    expect(await page.textContent('.flash.error')).toContain('(owner id)');
    await visit('/admin/connections?cursor=bm90LWEtY3Vyc29y', 400);
    expect(await page.textContent('.flash.error')).toContain('This page link is not valid any more');
    expect(await page.content()).not.toContain('bm90LWEtY3Vyc29y');
  });

  it('pages through more than 25 connections with Next page, keeping the filters', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 30; i += 6)
      await Promise.all(
        Array.from({ length: 6 }, async (_, j) => ids.add(await imported('console-pager', `acct-${i + j}`))),
      );
    await visit('/admin/connections?ownerId=console-pager');
    const first = await rowIds();
    expect(first).toHaveLength(25);
    expect(await page.$('#first-page')).toBeNull();
    const next = await page.getAttribute('#next-page', 'href');
    expect(next).toMatch(/^\/admin\/connections\?ownerId=console-pager&cursor=[A-Za-z0-9_-]+$/);
    await Promise.all([page.waitForURL(/cursor=/), page.click('#next-page')]);
    await record();
    const second = await rowIds();
    expect(second).toHaveLength(5);
    expect(await page.$('#next-page')).toBeNull();
    expect(await page.inputValue('#filter-owner')).toBe('console-pager');
    expect(new Set([...first, ...second])).toEqual(ids);
    // Newest first, as the API lists them.
    const api = (await t.api.get('/connections').query({ ownerId: 'console-pager', limit: 30 }).expect(200)).body;
    expect([...first, ...second]).toEqual(api.data.map((c: { id: string }) => c.id));
    await Promise.all([page.waitForURL(/\?ownerId=console-pager$/), page.click('#first-page')]);
    expect(await rowIds()).toEqual(first);
  });

  it('opens a connection: identity, scopes, expiries, refreshes, last error, metadata; never a token', async () => {
    await t.api
      .patch(`/connections/${keapId}`)
      .send({ metadata: { plan: 'pro', note: '<b>not html</b>' } })
      .expect(200);
    await visit(`/admin/connections?ownerId=${keapOwner}`);
    await Promise.all([
      page.waitForURL(`${t.baseUrl}/admin/connections/${keapId}`),
      page.click(`tr[data-connection-id="${keapId}"] a`),
    ]);
    await record();
    const connection = (await t.api.get(`/connections/${keapId}`).expect(200)).body;
    expect(await page.textContent('#connection-id')).toBe(keapId);
    expect(await page.textContent('#owner-id')).toBe(keapOwner);
    expect(await page.textContent('#account-id')).toBe('abconsolekeap');
    expect(await page.textContent('#connection-status')).toBe('active');
    expect(await page.textContent('#scopes')).toBe('full');
    expect(await page.getAttribute('#expires-at time', 'datetime')).toBe(connection.expiresAt);
    expect(await page.textContent('#expires-at')).toMatch(/UTC \(in 2[34] h\)$/);
    expect(await page.getAttribute('#refresh-token time', 'datetime')).toBe(connection.refreshTokenExpiresAt);
    expect(await page.textContent('#last-refreshed')).toBe('never');
    // When the sweep will refresh it: as its token enters the provider's lead time.
    const lead = t.app.get(ProviderCatalog).get('keap').settings.refreshLeadSeconds;
    expect(await page.getAttribute('#next-refresh time', 'datetime')).toBe(
      new Date(Date.parse(connection.expiresAt) - lead * 1000).toISOString(),
    );
    expect(await page.$('#backoff-until')).toBeNull();
    expect(await page.textContent('#refresh-failures')).toBe('0');
    expect(await page.textContent('#last-error')).toBe('None.');
    expect(JSON.parse((await page.textContent('#metadata'))!)).toEqual({ plan: 'pro', note: '<b>not html</b>' });
    expect(await page.$('#metadata b')).toBeNull();

    // A last error is shown with its code, message and time.
    await t.dataSource.query(
      `UPDATE connections SET last_error = '{"code":"unavailable","message":"Token endpoint answered 503","at":"2026-01-01T00:00:00.000Z"}' WHERE id = $1`,
      [webflowId],
    );
    await visit(`/admin/connections/${webflowId}`);
    expect(await page.textContent('#last-error-code')).toBe('unavailable');
    expect(await page.textContent('#last-error-message')).toBe('Token endpoint answered 503');
    expect(await page.getAttribute('#last-error time', 'datetime')).toBe('2026-01-01T00:00:00.000Z');
    expect(await page.textContent('#refresh-token')).toBe('none');
    expect(await page.textContent('#next-refresh')).toBe('none: the sweep does not refresh this connection');
    expect(await page.$('#refresh-now')).toBeNull();
  });

  it('answers a malformed or unknown id with the 404 page', async () => {
    await visit('/admin/connections/not-a-uuid', 404);
    expect(await page.textContent('h1')).toBe('Error 404');
    expect(await page.textContent('main')).toContain('connection_not_found');
    expect(await page.content()).not.toContain('not-a-uuid');
    await visit('/admin/connections/00000000-0000-4000-8000-000000000000', 404);
    expect(await page.textContent('main')).toContain('connection_not_found');
  });

  it('Refresh now refreshes at the provider (Post/Redirect/Get) and shows the new last refresh', async () => {
    const before = (await refreshCalls(t, 'keap')).length;
    await visit(`/admin/connections/${keapId}`);
    expect(await page.textContent('#last-refreshed')).toBe('never');
    await Promise.all([page.waitForURL(/\?done=refreshed$/), page.click('#refresh-now')]);
    await record();
    expect(await page.textContent('.flash.ok')).toBe('Refreshed: the connection has a new access token.');
    expect(await page.textContent('#last-refreshed')).toMatch(/UTC \(now\)$/);
    const calls = await refreshCalls(t, 'keap');
    expect(calls).toHaveLength(before + 1);
    expect(calls[calls.length - 1].status).toBe(200);
    const connection = (await t.api.get(`/connections/${keapId}`).expect(200)).body;
    expect(await page.getAttribute('#last-refreshed time', 'datetime')).toBe(connection.lastRefreshedAt);
    await collectTokens(keapId);
    // Reloading the page does not refresh again.
    await page.reload();
    expect((await refreshCalls(t, 'keap')).length).toBe(before + 1);
  });

  it('Verify calls the provider’s whoami; a refused token shows its code, never the provider’s words', async () => {
    await visit(`/admin/connections/${keapId}`);
    await Promise.all([page.waitForURL(/\?done=verified$/), page.click('#verify')]);
    await record();
    expect(await page.textContent('.flash.ok')).toBe('Verified: the provider accepts the connection’s access token.');
    expect(await page.textContent('#connection-status')).toBe('active');
    // The check it made is the connection's last verification, as the API says.
    const checked = (await t.api.get(`/connections/${keapId}`).expect(200)).body;
    expect(checked.lastVerifiedAt).not.toBeNull();
    expect(await page.getAttribute('#last-verified time', 'datetime')).toBe(checked.lastVerifiedAt);
    expect(await page.textContent('#last-verified')).toMatch(/UTC \(now\)$/);

    // A token the simulator never issued: its whoami answers 401, the connection needs its user.
    const bogus = await imported('console-bogus-owner', 'bogus');
    await visit(`/admin/connections/${bogus}`);
    await Promise.all([page.waitForURL(/\?failed=connection_needs_reauth$/), page.click('#verify')]);
    await record();
    expect(await page.textContent('.flash.error')).toMatch(/only its user can fix it.*\(connection_needs_reauth\)$/);
    expect(await page.textContent('#connection-status')).toBe('needs_reauth');
    expect(await page.textContent('#last-error-code')).toBe('unauthorized');
    expect(await page.textContent('#last-verified')).toBe('no passed check on record');
    expect(await page.$('#refresh-now')).toBeNull();
    expect(await page.getAttribute('#make-reconnect-link', 'class')).toBe('primary');
    // A code that is not one of the service's shows nothing.
    await visit(`/admin/connections/${bogus}?failed=%3Cscript%3E`);
    expect(await page.$('.flash[role="status"]')).toBeNull();
  });

  it('Reconnect link shows a one-time link (not in any URL) that starts the provider’s flow', async () => {
    await visit(`/admin/connections/${keapId}`);
    await Promise.all([page.waitForURL(/\/reconnect-link$/), page.click('#make-reconnect-link')]);
    await record();
    const link = (await page.textContent('#reconnect-link'))!.trim();
    expect(link).toMatch(
      new RegExp(`^${t.baseUrl.replace(/\./g, '\\.')}/oauth/keap/authorize\\?session=[A-Za-z0-9_-]{43}$`),
    );
    expect(page.url()).toBe(`${t.baseUrl}/admin/connections/${keapId}/reconnect-link`);
    expect(await page.getAttribute('button[data-copy]', 'data-copy')).toBe('reconnect-link');
    const expires = Date.parse((await page.getAttribute('#reconnect-expires', 'datetime'))!);
    expect((expires - Date.now()) / 60_000).toBeCloseTo(10, 0);
    expect(await page.textContent('#connection-id')).toBe(keapId);

    // The copy button puts the link on the clipboard.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
    await page.click('button[data-copy="reconnect-link"]');
    await page.waitForFunction(`document.querySelector('button[data-copy]')?.textContent === 'Copied'`);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(link);

    // The link leads to the provider's authorize page, for the connection's owner.
    const url = new URL(link);
    const res = await t.anon.get(`${url.pathname}${url.search}`).redirects(0).expect(302);
    expect(res.headers.location).toMatch(new RegExp(`^${t.baseUrl.replace(/\./g, '\\.')}/sandbox/keap/authorize\\?`));
    expect(new URL(res.headers.location).searchParams.get('client_id')).toBe('sandbox-keap');
    const [session] = await t.dataSource.query(
      `SELECT provider, owner_id FROM connect_sessions ORDER BY created_at DESC LIMIT 1`,
    );
    expect(session).toEqual({ provider: 'keap', owner_id: keapOwner });
  });

  it('Delete asks first (the dialog can be dismissed), revokes at the provider and shows the result', async () => {
    await collectTokens(webflowId);
    await visit(`/admin/connections/${webflowId}`);
    await Promise.all([page.waitForURL(/\/delete$/), page.click('#delete')]);
    await record();
    expect(await page.textContent('h1')).toBe('Delete this connection?');
    expect(await page.textContent('#delete-summary')).toContain(webflowOwner);

    // Dismissed: nothing is sent.
    const dismissed = new Promise<string>((resolve) =>
      page.once('dialog', (dialog) => {
        resolve(dialog.message());
        void dialog.dismiss();
      }),
    );
    await page.click('#confirm-delete');
    expect(await dismissed).toBe('Delete this connection? This cannot be undone.');
    expect(page.url()).toBe(`${t.baseUrl}/admin/connections/${webflowId}/delete`);
    await t.api.get(`/connections/${webflowId}`).expect(200);

    // Accepted.
    page.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([
      page.waitForURL(/\/delete$/),
      page.waitForSelector('#revocation'),
      page.click('#confirm-delete'),
    ]);
    await record();
    expect(await page.textContent('h1')).toBe('Connection deleted');
    expect(await page.textContent('#revocation')).toBe('revoked');
    expect(await page.textContent('#revocation-text')).toBe('The provider revoked the connection’s tokens.');
    await t.api.get(`/connections/${webflowId}`).expect(404);
    await Promise.all([page.waitForURL(`${t.baseUrl}/admin/connections`), page.click('#back-to-list')]);
    expect(await rowIds()).not.toContain(webflowId);
    await visit(`/admin/connections/${webflowId}`, 404);
  });

  it('Delete works without JavaScript; a provider without revocation says so', async () => {
    const id = await imported('console-nojs-owner', 'nojs');
    const cookies = await context.cookies();
    const plain = await browser.newContext({ javaScriptEnabled: false });
    await plain.addCookies(cookies);
    const own = page;
    page = await plain.newPage();
    try {
      await visit(`/admin/connections/${id}/delete`);
      await Promise.all([
        page.waitForURL(/\/delete$/),
        page.waitForSelector('#revocation'),
        page.click('#confirm-delete'),
      ]);
      await record();
      expect(await page.textContent('#revocation')).toBe('unsupported');
      expect(await page.textContent('#revocation-text')).toContain('no way to revoke');
      await t.api.get(`/connections/${id}`).expect(404);
    } finally {
      await plain.close();
      page = own;
    }
  });

  it('fits a 390 px wide phone: the page never scrolls sideways (tables scroll in their box)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await visit('/admin/connections');
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    const table = await page.$eval('.scroll', (box) => ({ box: box.clientWidth, table: box.scrollWidth }));
    expect(table.box).toBeLessThanOrEqual(390);
    await visit(`/admin/connections/${keapId}`);
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    // The empty states (a long endpoint in code) and the subscriptions and events tables fit too.
    const quiet = await imported('console-phone-owner', 'phone');
    await visit(`/admin/connections/${quiet}`);
    expect(await page.textContent('#no-subscriptions')).toContain(`POST /connections/${quiet}/subscriptions`);
    expect(await page.$('#no-events')).not.toBeNull();
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    await withEvents(quiet);
    await visit(`/admin/connections/${quiet}`);
    expect(await page.$$eval('#subscriptions tbody tr', (rows) => rows.length)).toBe(2);
    expect(await page.$$eval('#inbound-events tbody tr', (rows) => rows.length)).toBe(3);
    expect(await pageWidth()).toBeLessThanOrEqual(390);
  });

  it('shows a connection’s subscriptions and latest events in tables with captions and column headers', async () => {
    const id = await imported('console-events-owner', 'events');
    await withEvents(id);
    await visit(`/admin/connections/${id}`);
    for (const table of ['#subscriptions', '#inbound-events']) {
      expect(await page.textContent(`${table} caption`)).toBeTruthy();
      expect(
        await page.$$eval(`${table} thead th`, (ths) => ths.every((th) => th.getAttribute('scope') === 'col')),
      ).toBe(true);
    }
    expect(await page.$$eval('#subscriptions tbody .status', (s) => s.map((e) => e.textContent))).toEqual([
      'active',
      'pending_verification',
    ]);
    expect(await page.$$eval('#inbound-events tbody tr td:last-child', (s) => s.map((e) => e.textContent))).toEqual([
      'not forwarded',
      'not forwarded',
      'not forwarded',
    ]);
    expect(await page.isVisible('#not-forwarded-note')).toBe(true);
  });

  it('screenshot of a connection page for the docs', async () => {
    await visit(`/admin/connections/${keapId}`);
    await docsScreenshot(page, 'console-connection.png');
  });

  it('no page showed an access or refresh token', () => {
    expect(seen.length).toBeGreaterThan(20);
    expect(tokens.size).toBeGreaterThan(10);
    for (const { url, html } of seen)
      for (const token of tokens) if (html.includes(token)) throw new Error(`${url} shows a token`);
  });
});
