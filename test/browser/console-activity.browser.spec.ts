import { randomBytes } from 'node:crypto';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { launchBrowser } from '../support/browser';
import { consoleSignInInBrowser } from '../support/console-browser';

/** The browser globals the page functions below use (the tests' tsconfig has no DOM types). */
declare const window: {
  axe: { run(): Promise<{ violations: { id: string; impact: string | null; nodes: unknown[] }[] }> };
};

const AXE = require.resolve('axe-core/axe.min.js');
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

/**
 * The activity timeline of the console's connection page (issue 28) in a real browser: newest first,
 * at most 50 entries, readable on a 390 px phone without sideways scrolling of the page (long event
 * names and codes wrap), and no serious or critical axe-core violation at either size.
 */
describe('console: a connection’s activity timeline in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let id: string;

  beforeAll(async () => {
    t = await startTestApp({ port: await freePort(), env: { ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0' } });
    browser = await launchBrowser();
    const res = await t.api
      .post('/connections')
      .send({
        provider: 'keap',
        ownerId: 'activity-browser',
        accessToken: `AT-${randomBytes(8).toString('hex')}`,
        refreshToken: `RT-${randomBytes(8).toString('hex')}`,
      })
      .expect(201);
    id = res.body.id;
    // Every kind of entry, oldest first, over the last hour; the longest event names and codes a row may hold.
    const long = `contact.${'x'.repeat(247)}`;
    const rows: [string, Record<string, unknown>][] = [
      ['refreshed', {}],
      ['refresh_failed', { code: 'c'.repeat(64) }],
      ['status_changed', { status: 'refresh_failed', previous_status: 'active', code: 'unavailable' }],
      ['verified', {}],
      ['verify_failed', { code: 'unauthorized' }],
      [
        'subscription_created',
        { subscription_id: 'b6f7a4e2-4d3c-4b1a-9e8f-0a1b2c3d4e5f', events: [long, 'order.add'] },
      ],
      ['inbound_event', { events: [long] }],
      ['revoked', { status: 'revoked', previous_status: 'refresh_failed', code: 'uninstalled' }],
      ['subscription_removed', { subscription_id: 'b6f7a4e2-4d3c-4b1a-9e8f-0a1b2c3d4e5f', events: ['order.add'] }],
      ['reconnected', { status: 'active' }],
    ];
    const start = Date.now() - 3_000_000;
    for (const [i, [type, columns]] of rows.entries())
      await t.dataSource.query(
        `INSERT INTO connection_activity (connection_id, created_at, type, status, previous_status, code, subscription_id, events)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          id,
          new Date(start + i * 60_000),
          type,
          columns.status ?? null,
          columns.previous_status ?? null,
          columns.code ?? null,
          columns.subscription_id ?? null,
          columns.events ?? null,
        ],
      );
    const hour = new Date(start - (start % 3_600_000));
    for (const [statusClass, calls] of [
      [2, 1_234_567],
      [4, 12],
      [5, 3],
    ])
      await t.dataSource.query(
        `INSERT INTO connection_activity (connection_id, created_at, type, status_class, calls) VALUES ($1, $2, 'proxy_calls', $3, $4)`,
        [id, hour, statusClass, calls],
      );
    context = await browser.newContext({ bypassCSP: true, viewport: VIEWPORTS[0] });
    page = await context.newPage();
    await consoleSignInInBrowser(page, t.baseUrl, TEST_API_KEY);
  }, 90_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  it('lists the entries newest first, an hour’s proxy calls on one line, under an Activity heading', async () => {
    await page.goto(`${t.baseUrl}/admin/connections/${id}`);
    const types = await page.$$eval('#activity > li', (items) =>
      items.map((li) => li.getAttribute('data-activity-type')),
    );
    expect(types).toEqual([
      // Written by the import itself, a moment ago.
      'connected',
      'reconnected',
      'subscription_removed',
      'revoked',
      'inbound_event',
      'subscription_created',
      'verify_failed',
      'verified',
      'status_changed',
      'refresh_failed',
      'refreshed',
      // At the start of the hour the calls were counted in: three classes, one line.
      'proxy_calls',
    ]);
    expect(await page.textContent('#activity > li[data-activity-type="proxy_calls"] .calls')).toBe(
      '2xx 1234567 · 4xx 12 · 5xx 3',
    );
    expect(await page.textContent('#h-activity')).toBe('Activity');
  });

  it.each(VIEWPORTS)(
    'fits $width×$height without scrolling the page sideways, with no serious axe violation',
    async (viewport) => {
      await page.setViewportSize(viewport);
      await page.goto(`${t.baseUrl}/admin/connections/${id}`);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      const box = await page.$eval('#activity', (ol) => ({ client: ol.clientWidth, scroll: ol.scrollWidth }));
      expect(box.scroll).toBeLessThanOrEqual(box.client);
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async () =>
        (await window.axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
      );
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    },
  );
});
