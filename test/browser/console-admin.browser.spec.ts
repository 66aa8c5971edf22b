import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { freePort } from '../../src/database/embedded-postgres';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { launchBrowser } from '../support/browser';
import { consoleSignInInBrowser } from '../support/console-browser';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** An HTML answer the browser got, and whether it is the one page allowed to show a new key. */
interface SeenPage {
  url: string;
  status: number;
  html: string;
}

/**
 * The console's webhook deliveries and API keys pages in a real browser: a failing receiver's delivery
 * redelivered, the status filter and pages, a key made (shown once) and revoked, and the session rules
 * around them (non-admin keys, sign-out, CSRF). Sign-in and the overview: console.browser.spec.ts.
 */
describe('console: webhook deliveries and API keys in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let receiver: Server;
  /** What the receiver answers: 500 unless a test wants deliveries to succeed. */
  let receiverStatus = 500;
  const dispatch = () => t.app.get(WebhookDispatcher).runOnce();

  /** Every HTML page any test's browser received (bodies read as they come). */
  const pending: Promise<SeenPage | undefined>[] = [];
  /** Keys made in these tests: none may appear in a page but the one its creation answered with. */
  const madeKeys: string[] = [];
  const consoleErrors: string[] = [];

  function record(response: Response): void {
    if (!(response.headers()['content-type'] ?? '').startsWith('text/html')) return;
    pending.push(
      response.text().then(
        (html) => ({ url: response.url(), status: response.status(), html }),
        () => undefined,
      ),
    );
  }

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(receiverStatus).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    t = await startTestApp({
      port: await freePort(),
      env: {
        WEBHOOK_URL: `http://127.0.0.1:${port}/hooks`,
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_MAX_ATTEMPTS: '1',
        WEBHOOK_DISPATCH_INTERVAL_MS: '0',
        ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0',
      },
    });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });
  beforeEach(async () => {
    receiverStatus = 500;
    await t.dataSource.query('DELETE FROM webhook_deliveries');
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('response', record);
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
        consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
  });
  afterEach(async () => {
    await context.close();
  });

  const signIn = (key = TEST_API_KEY, on: Page = page) => consoleSignInInBrowser(on, t.baseUrl, key);

  /** Form controls (not hidden) without a label: none on any page. */
  async function unlabelled(on: Page = page): Promise<string[]> {
    // (Structural types: the tests compile without the DOM library.)
    type Control = { type: string; labels: { length: number } | null; outerHTML: string } & {
      getAttribute(name: string): string | null;
    };
    return on.$$eval('input, select, textarea', (elements) =>
      (elements as unknown as Control[])
        .filter((e) => e.type !== 'hidden')
        .filter((e) => !e.labels?.length && !e.getAttribute('aria-label'))
        .map((e) => e.outerHTML),
    );
  }

  /** A connection made through the API: its connection.created delivery is written with it. */
  async function connection(ownerId: string): Promise<string> {
    const res = await t.api
      .post('/connections')
      .send({ provider: 'keap', ownerId, accessToken: `at-${ownerId}`, refreshToken: `rt-${ownerId}` })
      .expect(201);
    return res.body.id as string;
  }

  async function deliveries(status?: string): Promise<{ id: string; status: string; connectionId: string }[]> {
    const res = await t.api
      .get('/webhook-deliveries')
      .query(status ? { status, limit: 100 } : { limit: 100 })
      .expect(200);
    return res.body.data;
  }

  const rowIds = (on: Page = page) =>
    on.$$eval('#deliveries tbody tr', (rows) => rows.map((r) => r.getAttribute('data-delivery-id')));

  describe('webhook deliveries', () => {
    it('lists a failed delivery as failed; Redeliver makes it pending, then back to the list with a flash', async () => {
      const connectionId = await connection('hook-owner-c0ffee');
      expect(await dispatch()).toBe(1);
      const [failed] = await deliveries('failed');
      expect(failed).toMatchObject({ connectionId, status: 'failed' });

      await signIn();
      await page.goto(`${t.baseUrl}/admin/webhooks?status=failed`);
      const row = page.locator(`tr[data-delivery-id="${failed.id}"]`);
      const cells = await row.locator('td').allTextContents();
      expect(cells[0]).toBe('connection.created');
      expect(cells[1]).toBe(connectionId);
      expect(await row.locator('span.status.st-failed').textContent()).toBe('failed');
      expect(cells[3]).toBe('1');
      expect(cells[4]).toBe('500');
      expect(cells[5]).toMatch(/500/);
      expect(cells[6]).toBe('');
      expect(cells[7]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      expect(await row.locator('a').getAttribute('href')).toBe(`/admin/connections/${connectionId}`);
      // Only the event type and the connection: nothing else of the payload (its owner, account, provider).
      const html = await page.content();
      expect(html).not.toContain('hook-owner-c0ffee');
      expect(html).not.toContain('abhook');
      expect(await unlabelled()).toEqual([]);

      await Promise.all([page.waitForURL(/done=redelivered/), row.locator('button', { hasText: 'Redeliver' }).click()]);
      const url = new URL(page.url());
      expect(url.pathname).toBe('/admin/webhooks');
      expect(Object.fromEntries(url.searchParams)).toEqual({ status: 'failed', done: 'redelivered' });
      expect(await page.textContent('.flash.ok')).toContain('pending again');
      // It is not failed any more: gone from this filter, pending in the API and on the page.
      expect(await page.locator(`tr[data-delivery-id="${failed.id}"]`).count()).toBe(0);
      expect(await page.textContent('#no-deliveries')).toContain('No deliveries with status failed');
      const [pendingNow] = await deliveries('pending');
      expect(pendingNow).toMatchObject({ id: failed.id, status: 'pending' });
      await page.goto(`${t.baseUrl}/admin/webhooks?status=pending`);
      const again = page.locator(`tr[data-delivery-id="${failed.id}"]`);
      expect(await again.locator('span.status').textContent()).toBe('pending');
      expect(await again.locator('td').nth(6).textContent()).toMatch(/UTC$/);
    });

    it('filters by status and pages through older deliveries', async () => {
      await connection('hook-filter-1');
      expect(await dispatch()).toBe(1);
      receiverStatus = 204;
      await connection('hook-filter-2');
      expect(await dispatch()).toBe(1);
      await connection('hook-filter-3');
      const [failed] = await deliveries('failed');
      const [delivered] = await deliveries('delivered');
      const [waiting] = await deliveries('pending');
      expect([failed, delivered, waiting].every(Boolean)).toBe(true);

      await signIn();
      await page.goto(`${t.baseUrl}/admin/webhooks`);
      // Newest first: the pending one was made last.
      expect(await rowIds()).toEqual([waiting.id, delivered.id, failed.id]);
      expect(await unlabelled()).toEqual([]);
      for (const [status, id] of [
        ['delivered', delivered.id],
        ['failed', failed.id],
        ['pending', waiting.id],
      ]) {
        await page.selectOption('#status', status);
        await Promise.all([page.waitForURL(new RegExp(`status=${status}`)), page.click('form.filters button')]);
        expect(await rowIds()).toEqual([id]);
        expect(await page.$$eval('#deliveries .status', (s) => s.map((e) => e.textContent))).toEqual([status]);
        expect(await page.inputValue('#status')).toBe(status);
      }
      await page.selectOption('#status', '');
      await Promise.all([page.waitForURL(/status=$/), page.click('form.filters button')]);
      expect(await rowIds()).toHaveLength(3);

      // Keyset pages of one.
      await page.goto(`${t.baseUrl}/admin/webhooks?limit=1`);
      expect(await rowIds()).toEqual([waiting.id]);
      await Promise.all([page.waitForURL(/cursor=/), page.click('#next-page')]);
      expect(await rowIds()).toEqual([delivered.id]);
      await Promise.all([page.waitForURL(/cursor=/), page.click('#next-page')]);
      expect(await rowIds()).toEqual([failed.id]);
      expect(await page.locator('#next-page').count()).toBe(0);
      // Redeliver on a later page comes back to that page.
      const before = page.url();
      await Promise.all([
        page.waitForURL(/done=redelivered/),
        page.locator(`tr[data-delivery-id="${failed.id}"] button`).click(),
      ]);
      const back = new URL(page.url());
      expect(back.searchParams.get('cursor')).toBe(new URL(before).searchParams.get('cursor'));
      expect(back.searchParams.get('limit')).toBe('1');
      await Promise.all([page.waitForURL(/\/admin\/webhooks\?limit=1$/), page.click('#first-page')]);
      expect(await rowIds()).toEqual([waiting.id]);

      // A filter the page does not know is a 400 page, not a crash, in the API's words (the same check).
      const bad = await page.goto(`${t.baseUrl}/admin/webhooks?status=lost`);
      expect(bad?.status()).toBe(400);
      expect(await page.textContent('main')).toContain(
        'status must be one of the following values: pending, delivered, failed',
      );
    });
  });

  describe('API keys', () => {
    let reader: { key: string; name: string };

    it('creates a key with two scopes: shown once, with a copy button; it has exactly those scopes', async () => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
      await signIn();
      await page.goto(`${t.baseUrl}/admin/api-keys`);
      expect(await unlabelled()).toEqual([]);
      // Every scope is offered with its description.
      const labels = await page.$$eval('fieldset.scopes label', (ls) => ls.map((l) => l.textContent));
      expect(labels).toHaveLength(7);
      expect(labels[0]).toContain('connections:read');
      expect(labels[0]).toContain('GET /connections');
      // The key of API_KEYS first, not revocable.
      const env = page.locator('tr[data-key-id="env-1"]');
      expect(await env.textContent()).toContain('from API_KEYS');
      expect(await env.locator('button').count()).toBe(0);
      expect(await page.$eval('#api-keys tbody tr', (tr) => tr.getAttribute('data-key-id'))).toBe('env-1');

      await page.fill('#key-name', 'browser-reader');
      await page.check('#scope-connections-read');
      await page.check('#scope-webhooks');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${t.baseUrl}/admin/api-keys` && r.request().method() === 'POST'),
        page.click('#create-key'),
      ]);
      expect(response.status()).toBe(200);
      await page.waitForSelector('#new-key');
      const key = (await page.textContent('#new-key'))!.trim();
      expect(key).toMatch(/^ock_[A-Za-z0-9_-]{43}$/);
      madeKeys.push(key);
      reader = { key, name: 'browser-reader' };
      expect(await page.textContent('#new-key-warning')).toContain('not shown again');
      expect(await page.getAttribute('button[data-copy="new-key"]', 'type')).toBe('button');
      await page.click('button[data-copy="new-key"]');
      expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(key);
      expect(await page.textContent('button[data-copy="new-key"]')).toBe('Copied');
      // The page was the POST's answer: no redirect, nothing cached.
      expect(response.headers()['cache-control']).toBe('no-store');
      expect(new URL(page.url()).pathname).toBe('/admin/api-keys');

      // Against the API: exactly its two scopes.
      const as = (path: string) => t.anon.get(path).set('Authorization', `Bearer ${key}`);
      const id = await connection('key-scope-check');
      await as('/connections').expect(200);
      await as('/webhook-deliveries').expect(200);
      expect((await as(`/connections/${id}/credentials`).expect(403)).body.requiredScope).toBe('credentials:read');
      expect((await as('/api-keys').expect(403)).body.requiredScope).toBe('admin');
      await as('/metrics').expect(403);
      const listed = (await t.api.get('/api-keys').expect(200)).body.data.find(
        (k: { name: string }) => k.name === 'browser-reader',
      );
      expect(listed.scopes).toEqual(['connections:read', 'webhooks']);

      // Opened again, the page lists the key (name, scopes, prefix) but never shows it.
      await page.goto(`${t.baseUrl}/admin/api-keys`);
      expect(await page.locator('#new-key').count()).toBe(0);
      expect(await page.content()).not.toContain(key);
      const row = page.locator(`tr[data-key-id="${listed.id}"]`);
      const text = await row.textContent();
      expect(text).toContain('browser-reader');
      expect(text).toContain('connections:read, webhooks');
      expect(text).toContain(key.slice(0, 10));
      expect(await row.locator('.status').textContent()).toBe('active');
    });

    it('refuses a duplicate name and a key without scopes with the validation message, keeping the form', async () => {
      await signIn();
      await page.goto(`${t.baseUrl}/admin/api-keys`);
      await page.fill('#key-name', 'browser-reader');
      await page.check('#scope-metrics');
      const [duplicate] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${t.baseUrl}/admin/api-keys` && r.request().method() === 'POST'),
        page.click('#create-key'),
      ]);
      expect(duplicate.status()).toBe(400);
      await page.waitForSelector('.flash.error');
      expect(await page.textContent('.flash.error')).toBe('name: an active API key is already named "browser-reader"');
      expect(await page.locator('#new-key').count()).toBe(0);
      expect(await page.inputValue('#key-name')).toBe('browser-reader');
      expect(await page.isChecked('#scope-metrics')).toBe(true);
      expect(await page.isChecked('#scope-admin')).toBe(false);

      await page.fill('#key-name', 'no-scopes');
      await page.uncheck('#scope-metrics');
      await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('#create-key')]);
      await page.waitForSelector('.flash.error');
      expect(await page.textContent('.flash.error')).toBe('scopes should not be empty');
      const names = (await t.api.get('/api-keys').expect(200)).body.data.map((k: { name: string }) => k.name);
      expect(names).not.toContain('no-scopes');
    });

    it('a key without the admin scope cannot sign in: the same answer as a wrong key', async () => {
      const refusal = async (key: string) => {
        await page.goto(`${t.baseUrl}/admin/sign-in`);
        await page.fill('#key', key);
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST'),
          page.click('form[action="/admin/sign-in"] button'),
        ]);
        await page.waitForSelector('#sign-in-error');
        return { status: response.status(), text: await page.textContent('#sign-in-error'), url: page.url() };
      };
      const nonAdmin = await refusal(reader.key);
      const wrong = await refusal(`ock_${'B'.repeat(43)}`);
      expect(nonAdmin).toEqual(wrong);
      expect(nonAdmin.status).toBe(401);
      expect(nonAdmin.text).toContain('cannot sign in');
      expect((await context.cookies()).filter((c) => c.name === 'console_session')).toEqual([]);
      expect(await unlabelled()).toEqual([]);
    });

    it('revokes the key after a confirmation: the API refuses it with 401', async () => {
      await signIn();
      await page.goto(`${t.baseUrl}/admin/api-keys`);
      const row = page.locator('tr[data-source="api"]', { hasText: reader.name });
      const dialogs: string[] = [];
      let answer = false;
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void (answer ? dialog.accept() : dialog.dismiss());
      });
      // Dismissed: nothing is sent.
      await row.locator('button', { hasText: 'Revoke' }).click();
      expect(dialogs).toHaveLength(1);
      expect(dialogs[0]).toContain('Revoke the API key “browser-reader”?');
      expect(new URL(page.url()).search).toBe('');
      await t.anon.get('/connections').set('Authorization', `Bearer ${reader.key}`).expect(200);

      answer = true;
      await Promise.all([page.waitForURL(/done=revoked/), row.locator('button', { hasText: 'Revoke' }).click()]);
      expect(dialogs).toHaveLength(2);
      expect(await page.textContent('.flash.ok')).toContain('revoked');
      expect(await page.locator('tr[data-source="api"]', { hasText: reader.name }).count()).toBe(0);
      const refused = await t.anon.get('/connections').set('Authorization', `Bearer ${reader.key}`).expect(401);
      expect(refused.body.code).toBe('unauthorized');

      // Shown again with the revoked ones, marked so and without a button.
      await Promise.all([page.waitForURL(/includeRevoked=true/), page.click('#toggle-revoked')]);
      const revoked = page.locator('tr[data-source="api"]', { hasText: reader.name });
      expect(await revoked.locator('.status').textContent()).toBe('revoked');
      expect(await revoked.locator('button').count()).toBe(0);
      expect(await page.textContent('#toggle-revoked')).toBe('Hide revoked keys');
    });
  });

  describe('the session', () => {
    it('sign out ends it: the old cookie no longer opens /admin', async () => {
      await signIn();
      const [cookie] = (await context.cookies()).filter((c) => c.name === 'console_session');
      expect(cookie).toBeDefined();
      await page.goto(`${t.baseUrl}/admin/webhooks`);
      await Promise.all([page.waitForURL(/\/admin\/sign-in$/), page.click('form.sign-out button')]);
      await page.goto(`${t.baseUrl}/admin/api-keys`);
      expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
      // The cookie copied before signing out, replayed by another browser: signed out as well.
      const other = await browser.newContext();
      try {
        await other.addCookies([cookie]);
        const replay = await other.newPage();
        await replay.goto(`${t.baseUrl}/admin`);
        expect(new URL(replay.url()).pathname).toBe('/admin/sign-in');
      } finally {
        await other.close();
      }
    });

    it('refuses a POST without the CSRF token (403), whatever the form', async () => {
      const id = await connection('csrf-owner');
      await dispatch();
      const [failed] = await deliveries('failed');
      expect(failed.connectionId).toBe(id);
      const target = (
        await t.api
          .post('/api-keys')
          .send({ name: 'csrf-target', scopes: ['metrics'] })
          .expect(201)
      ).body;
      madeKeys.push(target.key);
      await signIn();
      await page.goto(`${t.baseUrl}/admin/api-keys`);
      const csrf = await page.getAttribute('form.create-key input[name="_csrf"]', 'value');
      expect(csrf).toBeTruthy();

      // The browser's own cookie, but no token (or a wrong one): refused before anything happens.
      const posts: [string, Record<string, string>][] = [
        ['/admin/api-keys', { name: 'csrf-less', scopes: 'admin' }],
        ['/admin/api-keys', { name: 'csrf-wrong', scopes: 'admin', _csrf: `${csrf}x` }],
        [`/admin/api-keys/${target.id}/revoke`, {}],
        [`/admin/webhooks/${failed.id}/redeliver`, {}],
      ];
      for (const [path, form] of posts) {
        const res = await page.request.post(`${t.baseUrl}${path}`, { form, maxRedirects: 0 });
        expect([path, res.status()]).toEqual([path, 403]);
        expect(await res.text()).toContain('did not come from the console');
      }
      const names = (await t.api.get('/api-keys').expect(200)).body.data.map((k: { name: string }) => k.name);
      expect(names).toContain('csrf-target');
      expect(names).not.toContain('csrf-less');
      expect(names).not.toContain('csrf-wrong');
      expect((await deliveries('failed')).map((d) => d.id)).toEqual([failed.id]);
      // With the token, the same request goes through (so it was the token that was missing).
      const ok = await page.request.post(`${t.baseUrl}/admin/webhooks/${failed.id}/redeliver`, {
        form: { _csrf: csrf! },
        maxRedirects: 0,
      });
      expect(ok.status()).toBe(303);
      expect(ok.headers().location).toBe('/admin/webhooks?done=redelivered');
    });
  });

  it('no page showed a key but the one page that created it; no page broke its CSP', async () => {
    const pages = (await Promise.all(pending)).filter((p): p is SeenPage => p !== undefined);
    expect(pages.length).toBeGreaterThan(15);
    expect(pages.filter((p) => p.html.includes(TEST_API_KEY))).toEqual([]);
    expect(madeKeys.length).toBeGreaterThan(0);
    for (const key of madeKeys) {
      const showing = pages.filter((p) => p.html.includes(key));
      // The key made in the console: its creation page only. Keys made through the API: none.
      expect(showing.length).toBeLessThanOrEqual(1);
      for (const p of showing) {
        expect(p.status).toBe(200);
        expect(p.url).toBe(`${t.baseUrl}/admin/api-keys`);
        expect(p.html.match(new RegExp(key, 'g'))).toHaveLength(1);
        expect(p.html).toContain(`<code id="new-key">${key}</code>`);
      }
    }
    expect(pages.filter((p) => p.html.includes('id="new-key"'))).toHaveLength(1);
    for (const p of pages) expect(p.html).not.toMatch(/<script>|<style| style=| on[a-z]+="/);
    expect(consoleErrors).toEqual([]);
  });
});
