import { Browser } from 'playwright-core';
import { startTestApp, TestApp } from '../support/app';
import { launchBrowser } from '../support/browser';

/**
 * The API reference under the service's Content-Security-Policy, in a real browser: the Swagger UI
 * page @nestjs/swagger serves must render, with no resource or script the policy blocks.
 */
describe('HTTP hardening: /docs works under its CSP in a real browser', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp({ env: { OAUTH_RATE_LIMIT_PER_MINUTE: '0' } });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders the Swagger UI with no CSP violation, and "Try it out" may call the API', async () => {
    const page = await browser.newPage();
    try {
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
      });
      // Reported by the page itself too (every blocked load, inline style or eval).
      await page.addInitScript({
        content: `document.addEventListener('securitypolicyviolation', (event) =>
          console.error('Refused to load: ' + event.violatedDirective + ' ' + event.blockedURI));`,
      });
      const failed: string[] = [];
      page.on('requestfailed', (request) => failed.push(request.url()));

      const response = await page.goto(`${t.baseUrl}/docs`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      await page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
      expect(await page.textContent('.swagger-ui .info .title')).toContain('OAuth connection service');
      // An operation expands (React renders more of the page, icons included).
      await page.click('#operations-providers-listProviders .opblock-summary');
      await page.waitForSelector('#operations-providers-listProviders .try-out__btn');
      // Same-origin fetch, as "Try it out" does: allowed by connect-src 'self'.
      const status = await page.evaluate(async () => (await fetch('/health/live')).status);
      expect(status).toBe(200);

      expect(violations).toEqual([]);
      expect(failed).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('the same page under the strict API policy would be blocked (the test can see a violation)', async () => {
    const page = await browser.newPage();
    try {
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
      });
      // The page's HTML, served with the policy every other answer carries.
      await page.route(`${t.baseUrl}/docs`, async (route) => {
        const original = await route.fetch();
        await route.fulfill({
          response: original,
          headers: {
            ...original.headers(),
            'content-security-policy':
              "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          },
        });
      });
      await page.goto(`${t.baseUrl}/docs`);
      await page.waitForTimeout(500);
      expect(violations.length).toBeGreaterThan(0);
      expect(await page.$('.swagger-ui .info .title')).toBeNull();
    } finally {
      await page.close();
    }
  });
});
