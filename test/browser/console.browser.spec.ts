import { Browser, Page } from 'playwright-core';
import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { docsScreenshot, launchBrowser } from '../support/browser';
import { submitConsoleSignIn } from '../support/console-browser';

const HOUR = 3_600_000;

/**
 * The console in a real browser: signing in and out, and the overview against a seeded database
 * (its numbers, charts, the list of connections that need their user), at desktop and phone sizes.
 * Connection pages: console-connections.browser.spec.ts; webhooks and keys: console-admin.browser.spec.ts.
 */
describe('console: sign-in and overview in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const ids: Record<string, string> = {};
  const tokens: string[] = [];

  async function imported(name: string, provider: string, expiresInHours: number, refresh = true): Promise<string> {
    const accessToken = `AT-console-${name}-${Math.random().toString(36).slice(2)}`;
    const refreshToken = `RT-console-${name}-${Math.random().toString(36).slice(2)}`;
    tokens.push(accessToken, refreshToken);
    const res = await t.api
      .post('/connections')
      .send({
        provider,
        ownerId: `owner-${name}`,
        accountId: name,
        accessToken,
        ...(refresh && { refreshToken }),
        expiresAt: new Date(Date.now() + expiresInHours * HOUR).toISOString(),
      })
      .expect(201);
    return (ids[name] = res.body.id as string);
  }

  beforeAll(async () => {
    t = await startTestApp({ port: await freePort(), env: { ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0' } });
    browser = await launchBrowser();
    // Keap: three active (two due within 24 h: their tokens enter the 1 h lead time), one needing its user,
    // one whose refreshes keep failing; Webflow: two without refresh tokens.
    await imported('k1', 'keap', 3);
    await imported('k2', 'keap', 10);
    await imported('k3', 'keap', 48);
    await imported('k4', 'keap', 5);
    await imported('k5', 'keap', 6);
    await imported('w1', 'webflow', 5, false);
    await imported('w2', 'webflow', 5, false);
    await t.dataSource.query(`UPDATE connections SET status = 'needs_reauth' WHERE id = $1`, [ids.k4]);
    await t.dataSource.query(
      `UPDATE connections SET status = 'refresh_failed', refresh_failures = 3,
              last_error = '{"code":"unavailable","message":"Token endpoint answered 503 http_503","at":"2026-01-01T00:00:00Z"}'
        WHERE id = $1`,
      [ids.k5],
    );
    // Refreshes in the last hours (what the refresh service adds up every few seconds).
    const thisHour = Math.floor(Date.now() / HOUR) * HOUR;
    await t.dataSource.query(
      `INSERT INTO refresh_history (hour, provider, succeeded, failed) VALUES ($1, 'keap', 7, 2), ($2, 'keap', 4, 0), ($3, 'keap', 100, 100)`,
      [new Date(thisHour - HOUR), new Date(thisHour - 5 * HOUR), new Date(thisHour - 30 * HOUR)],
    );
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  afterEach(async () => {
    await page.close();
  });

  /** The sign-in form, reached from the overview as a browser without a session is. */
  const signIn = (key: string) => submitConsoleSignIn(page, t.baseUrl, key, '/admin');

  it('refuses a wrong key with a clear message, and signs in with an admin key', async () => {
    await signIn('not-a-key-at-all-0000');
    expect(await page.textContent('#sign-in-error')).toContain('That key cannot sign in');
    expect(page.url()).toMatch(/\/admin\/sign-in$/);
    await page.fill('#key', TEST_API_KEY);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin$/);
    expect(await page.textContent('header')).toContain('Signed in with env-1');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'console_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
      path: '/admin',
    });
  });

  it('shows the counts of the database: connections per provider and status, refreshes, due, who must reconnect', async () => {
    await signIn(TEST_API_KEY);
    await page.waitForURL(/\/admin$/);
    expect(await page.textContent('#total-connections')).toBe('7');
    expect(await page.textContent('#needing-user-count')).toBe('2');
    // The last 24 hours only (the hour 30 h ago is left out).
    expect(await page.textContent('#refreshed-24h')).toBe('11');
    expect(await page.textContent('#failed-24h')).toBe('2');
    // Refreshable connections whose tokens reach the 1 h lead time within 24 h: k1, k2 (k5 backs off but is due too).
    expect(await page.textContent('#due-24h')).toBe('3');
    const cell = (provider: string, status: string) =>
      page.textContent(`#status-table tr[data-provider="${provider}"] td[data-status="${status}"]`);
    expect(await cell('keap', 'active')).toBe('3');
    expect(await cell('keap', 'needs_reauth')).toBe('1');
    expect(await cell('keap', 'refresh_failed')).toBe('1');
    expect(await cell('webflow', 'active')).toBe('2');
    expect(await cell('webflow', 'needs_reauth')).toBe('0');
    // The charts are drawn: one bar segment per non-zero count, with its numbers as a tooltip.
    expect(await page.locator('#chart-status rect').count()).toBe(4);
    expect(await page.locator('#chart-status title').allTextContents()).toEqual(
      expect.arrayContaining(['keap: 3 active', 'webflow: 2 active']),
    );
    expect(await page.locator('#chart-refreshes rect.seg-failed').count()).toBe(1);
    const needing = await page.locator('#needing-user tbody tr').allTextContents();
    expect(needing.join('\n')).toContain('owner-k4');
    expect(needing.join('\n')).toContain('owner-k5');
    expect(needing.join('\n')).toContain('unavailable');
    expect(await page.getAttribute(`#needing-user a:text("owner-k4")`, 'href')).toBe(`/admin/connections/${ids.k4}`);
    const html = await page.content();
    for (const token of [...tokens, TEST_API_KEY]) expect(html).not.toContain(token);
    await docsScreenshot(page, 'console-overview.png');
  });

  it('works on a phone screen (390×844): no sideways scrolling, every control labelled and reachable by keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(TEST_API_KEY);
    await page.waitForURL(/\/admin$/);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    // Keyboard: Tab from the top reaches the navigation and the sign-out button.
    const reached: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      reached.push(String(await page.evaluate("document.activeElement?.textContent?.trim() ?? ''")));
    }
    expect(reached).toEqual(expect.arrayContaining(['Connections', 'API keys', 'Sign out']));
    const unlabelled = await page.$$eval(
      'input:not([type=hidden]), select, textarea',
      (els) =>
        els.filter((e) => !(e as unknown as { labels?: unknown[] }).labels?.length && !e.getAttribute('aria-label'))
          .length,
    );
    expect(unlabelled).toBe(0);
  });

  it('signs out: the session ends and the old cookie opens nothing', async () => {
    await signIn(TEST_API_KEY);
    await page.waitForURL(/\/admin$/);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'console_session')!;
    await page.click('text=Sign out');
    await page.waitForURL(/\/admin\/sign-in$/);
    expect((await page.context().cookies()).find((c) => c.name === 'console_session')).toBeUndefined();
    // The session is gone on the server too: a copy of the cookie opens nothing.
    const again = await t.anon.get('/admin').set('Cookie', `console_session=${cookie.value}`).redirects(0);
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/admin/sign-in');
    const page2 = await browser.newPage();
    await page2.goto(`${t.baseUrl}/admin`);
    expect(page2.url()).toMatch(/\/admin\/sign-in$/);
    await page2.close();
  });
});
