import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ConnectSessionsService } from '../../src/connect-sessions/connect-sessions.service';
import { pgPool } from '../../src/database/pg-pool';
import { OAuthStateStore } from '../../src/oauth/oauth-state.store';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { rawRequest, rawSocketRequest, RawAnswer } from '../support/raw-http';

const KEY = { authorization: `Bearer ${TEST_API_KEY}` };
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const JSON_ACCEPT = { accept: 'application/json' };

/** The directives of a Content-Security-Policy header, by name. */
function cspOf(headers: IncomingHttpHeaders): Record<string, string[]> {
  const value = headers['content-security-policy'];
  expect(typeof value).toBe('string');
  return Object.fromEntries(
    String(value)
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...sources] = d.split(/\s+/);
        return [name.toLowerCase(), sources];
      }),
  );
}

/** What every answer carries, whatever produced it. */
function expectSecurityHeaders(res: RawAnswer | { headers: IncomingHttpHeaders }): void {
  expect(cspOf(res.headers)['frame-ancestors']).toEqual(["'none'"]);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['x-frame-options']).toBe('DENY');
}

/**
 * Production hardening of the HTTP edge (src/http/security-headers.ts, src/http/rate-limit.ts, the
 * OAuth routes' input checks, the pool's statement_timeout).
 */
describe('HTTP hardening', () => {
  let t: TestApp;

  beforeAll(async () => {
    // The default limit (60/min) is not what these tests are about: off here, on in its own apps below.
    t = await startTestApp({ env: { OAUTH_RATE_LIMIT_PER_MINUTE: '0', DATABASE_STATEMENT_TIMEOUT_MS: undefined } });
  }, 60_000);
  afterAll(() => t?.close());

  describe('security headers (@fastify/helmet)', () => {
    it('a JSON answer carries a CSP that allows nothing, nosniff, no-referrer, DENY; no HSTS on an http PUBLIC_URL', async () => {
      const res = await rawRequest(t.baseUrl, 'GET', '/providers', KEY);
      expect(res.status).toBe(200);
      expectSecurityHeaders(res);
      expect(cspOf(res.headers)).toEqual({
        'default-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'none'"],
        'frame-ancestors': ["'none'"],
      });
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(res.headers['x-powered-by']).toBeUndefined();
    });

    it.each([
      ['401 from the API-key guard (exception filter)', 'GET', '/providers', {}, undefined, 401],
      ['404 for an unknown route', 'GET', '/nope', {}, undefined, 404],
      ['400 from validation', 'GET', '/connections?limit=abc', KEY, undefined, 400],
      [
        '413 from the body limit (before the body is read)',
        'POST',
        '/connections',
        { ...KEY, 'content-type': 'application/json' },
        'x'.repeat(200 * 1024),
        413,
      ],
      ['200 from a probe (/health/live)', 'GET', '/health/live', {}, undefined, 200],
    ])('%s carries them too', async (_name, method, path, headers, body, status) => {
      const res = await rawRequest(t.baseUrl, method, path, headers, body);
      expect(res.status).toBe(status);
      expectSecurityHeaders(res);
    });

    it('a URL the router cannot decode (answered before any hook) carries them too', async () => {
      const res = await rawSocketRequest(t.baseUrl, 'GET', '/connections/%zz/credentials', KEY);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expectSecurityHeaders(res);
      expect(cspOf(res.headers)['default-src']).toEqual(["'none'"]);
    });

    it("an OAuth result page keeps its own CSP (inline style) with frame-ancestors 'none' added; COOP unsafe-none, so a popup keeps its opener", async () => {
      const res = await rawRequest(t.baseUrl, 'GET', '/oauth/keap/authorize?session=nope', HTML);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.text).toContain('data-error="invalid_state"');
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      );
      expectSecurityHeaders(res);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['cross-origin-opener-policy']).toBe('unsafe-none');
    });

    it("the development page keeps its CSP (form-action 'self') and gains frame-ancestors 'none'; its forms keep their Origin", async () => {
      const res = await rawRequest(t.baseUrl, 'GET', '/', HTML);
      expect(res.status).toBe(200);
      // Under no-referrer a browser would post its connect forms with `Origin: null`, which
      // /dev/connect refuses as cross-site (the one-click flow in sandbox-flows.browser.spec.ts).
      expect(res.headers['referrer-policy']).toBe('same-origin');
      expect(cspOf(res.headers)).toEqual({
        'default-src': ["'none'"],
        'style-src': ["'unsafe-inline'"],
        // The one inline script that opens the flow in a popup (clients/browser), by a fresh nonce.
        'script-src': [expect.stringMatching(/^'nonce-[A-Za-z0-9+/]{22}=='$/)],
        'connect-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      });
    });

    it('/docs: a CSP that lets the Swagger UI page load its own scripts, styles and images, and every asset it names is served', async () => {
      const page = await rawRequest(t.baseUrl, 'GET', '/docs', HTML);
      expect(page.status).toBe(200);
      expectSecurityHeaders(page);
      const csp = cspOf(page.headers);
      expect(csp).toMatchObject({
        'default-src': ["'none'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
      });
      // The page as @nestjs/swagger builds it: external scripts only (an inline one would need a hash
      // or nonce), inline <style> blocks (allowed above).
      const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThanOrEqual(3);
      for (const [, attributes, inline] of scripts) {
        expect(attributes).toMatch(/\bsrc=/);
        expect(inline.trim()).toBe('');
      }
      expect(page.text).toMatch(/<style>/);
      const assets = [
        ...page.text.matchAll(/<script[^>]*\bsrc=["']([^"']+)["']/g),
        ...page.text.matchAll(/<link[^>]*\bhref=["']([^"']+)["']/g),
      ].map((m) => new URL(m[1], `${t.baseUrl}/docs`));
      expect(assets.map((u) => u.pathname).sort()).toEqual(
        [
          '/docs/favicon-16x16.png',
          '/docs/favicon-32x32.png',
          '/docs/swagger-ui-bundle.js',
          '/docs/swagger-ui-init.js',
          '/docs/swagger-ui-standalone-preset.js',
          '/docs/swagger-ui.css',
        ].sort(),
      );
      for (const asset of assets) {
        // Same origin: 'self' covers them.
        expect(asset.origin).toBe(t.baseUrl);
        const res = await rawRequest(t.baseUrl, 'GET', asset.pathname);
        expect([asset.pathname, res.status]).toEqual([asset.pathname, 200]);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
      // The document it shows, and the API's own answers, keep the strict policy.
      const json = await rawRequest(t.baseUrl, 'GET', '/docs-json');
      expect(json.status).toBe(200);
      expect(cspOf(json.headers)['script-src']).toBeUndefined();
    });
  });

  describe('malformed session / state on the public OAuth routes: refused before any query', () => {
    const wellFormedUnknown = () => randomBytes(32).toString('base64url');
    const MALFORMED: [string, string][] = [
      ['too short', 'session=nope'],
      ['42 characters', `session=${'a'.repeat(42)}`],
      ['44 characters', `session=${'a'.repeat(44)}`],
      ['10 kB', `session=${'a'.repeat(10_000)}`],
      ['base64 (not base64url) characters', `session=${'a'.repeat(41)}%2B%2F`],
      ['padding', `session=${'a'.repeat(42)}%3D`],
      ['a NUL byte', `session=${'a'.repeat(42)}%00`],
      ['non-ASCII', `session=${'a'.repeat(42)}%C3%A9`],
      ['an empty value', 'session='],
      ['repeated', `session=${wellFormedUnknown()}&session=${wellFormedUnknown()}`],
    ];

    /** Status, type, policy and page: what a browser sees of an ended flow. */
    const ending = (res: RawAnswer) => ({
      status: res.status,
      type: res.headers['content-type'],
      csp: res.headers['content-security-policy'],
      location: res.headers.location,
      page: res.text,
    });

    afterEach(() => jest.restoreAllMocks());

    it.each(MALFORMED)(
      'authorize with a session token that is %s ends exactly as an unknown one, without looking it up',
      async (_name, query) => {
        const open = jest.spyOn(t.app.get(ConnectSessionsService), 'open');
        const unknown = await rawRequest(
          t.baseUrl,
          'GET',
          `/oauth/keap/authorize?session=${wellFormedUnknown()}`,
          HTML,
        );
        // The well-formed unknown token is looked up: the spy sees the route's queries.
        expect(open).toHaveBeenCalledTimes(1);
        const malformed = await rawRequest(t.baseUrl, 'GET', `/oauth/keap/authorize?${query}`, HTML);
        expect(open).toHaveBeenCalledTimes(1);
        expect(ending(malformed)).toEqual(ending(unknown));
        expect(malformed.status).toBe(400);
        expect(malformed.text).toContain('data-error="invalid_state"');
      },
    );

    it.each(MALFORMED.map(([name, query]) => [name, query.replace(/session=/g, 'state=')]))(
      'callback with a state that is %s ends exactly as an unknown one, without looking it up',
      async (_name, query) => {
        const consume = jest.spyOn(t.app.get(OAuthStateStore), 'consume');
        const unknown = await rawRequest(
          t.baseUrl,
          'GET',
          `/oauth/keap/callback?code=c&state=${wellFormedUnknown()}`,
          HTML,
        );
        expect(consume).toHaveBeenCalledTimes(1);
        const malformed = await rawRequest(t.baseUrl, 'GET', `/oauth/keap/callback?code=c&${query}`, HTML);
        expect(consume).toHaveBeenCalledTimes(1);
        expect(ending(malformed)).toEqual(ending(unknown));
        expect(malformed.status).toBe(400);
        expect(malformed.text).toContain('data-error="invalid_state"');
      },
    );

    it('a real connect link still starts the flow (its token is well-formed)', async () => {
      const created = await t.api
        .post('/connect-sessions')
        .send({ provider: 'keap', ownerId: `hardening-${randomBytes(4).toString('hex')}` })
        .expect(201);
      const link = new URL(created.body.url);
      const res = await rawRequest(t.baseUrl, 'GET', `${link.pathname}${link.search}`, HTML);
      expect(res.status).toBe(302);
      // …and the state it hands the provider is well-formed too.
      expect(new URL(String(res.headers.location)).searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });

  describe('statement_timeout on the pool', () => {
    it('is DATABASE_STATEMENT_TIMEOUT_MS, 15 s by default', async () => {
      expect(await t.dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '15s' }]);
    });

    it('a statement longer than a configured timeout fails with 57014, through TypeORM and the raw pool alike', async () => {
      const slow = await startTestApp({
        env: { OAUTH_RATE_LIMIT_PER_MINUTE: '0', DATABASE_STATEMENT_TIMEOUT_MS: '300' },
      });
      try {
        expect(await slow.dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '300ms' }]);
        await expect(slow.dataSource.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
        await expect(pgPool(slow.dataSource).query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
        // The connection survives: the next statement runs.
        expect(await slow.dataSource.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
        await slow.api.get('/health/ready').expect(200);
      } finally {
        await slow.close();
      }
    });
  });
});

describe('HTTP hardening: rate limit on /oauth/*', () => {
  describe('keyed by the connecting address (TRUST_PROXY unset)', () => {
    let t: TestApp;
    const LIMIT = 3;

    beforeAll(async () => {
      t = await startTestApp({ env: { OAUTH_RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY: undefined } });
    }, 60_000);
    afterAll(() => t?.close());

    it('lets LIMIT requests through, then answers 429 rate_limited with Retry-After: a page for a browser, JSON otherwise; the API and the probes go on', async () => {
      const open = jest.spyOn(t.app.get(ConnectSessionsService), 'open');
      const session = () => randomBytes(32).toString('base64url');
      // authorize and callback count together.
      for (let i = 0; i < LIMIT; i++) {
        const path = i % 2 ? `/oauth/keap/callback?state=${session()}` : `/oauth/keap/authorize?session=${session()}`;
        expect((await rawRequest(t.baseUrl, 'GET', path, HTML)).status).toBe(400);
      }
      const calls = open.mock.calls.length;

      const page = await rawRequest(t.baseUrl, 'GET', `/oauth/keap/authorize?session=${session()}`, HTML);
      expect(page.status).toBe(429);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.text).toContain('data-error="rate_limited"');
      expect(Number(page.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(page.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      );
      expectSecurityHeaders(page);
      // Refused before the route: nothing was looked up.
      expect(open.mock.calls.length).toBe(calls);

      const json = await rawRequest(t.baseUrl, 'GET', `/oauth/keap/callback?state=${session()}`, JSON_ACCEPT);
      expect(json.status).toBe(429);
      expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(json.body).toEqual({
        statusCode: 429,
        code: 'rate_limited',
        message: expect.stringContaining('retry in'),
        requestId: json.headers['x-request-id'],
      });
      expect(Number(json.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(json.headers['retry-after'])).toBeLessThanOrEqual(60);
      expectSecurityHeaders(json);

      // Without an Accept header (curl, a script): JSON.
      const plain = await rawRequest(t.baseUrl, 'GET', '/OAuth/keap/authorize?session=x');
      expect([plain.status, plain.body?.code]).toEqual([429, 'rate_limited']);

      // X-Forwarded-For is not believed without TRUST_PROXY: naming another address changes nothing.
      const spoofed = await rawRequest(t.baseUrl, 'GET', '/oauth/keap/authorize?session=x', {
        ...JSON_ACCEPT,
        'x-forwarded-for': '203.0.113.99',
      });
      expect(spoofed.status).toBe(429);

      // Only /oauth/*: the probes, the API and the docs answer as usual, however often.
      for (let i = 0; i < LIMIT * 3; i++) {
        expect((await rawRequest(t.baseUrl, 'GET', '/health/live')).status).toBe(200);
        expect((await rawRequest(t.baseUrl, 'GET', '/health/ready')).status).toBe(200);
        expect((await rawRequest(t.baseUrl, 'GET', '/providers', KEY)).status).toBe(200);
      }
      expect((await rawRequest(t.baseUrl, 'GET', '/docs-json')).status).toBe(200);
    });
  });

  describe('keyed by the client address a trusted proxy names (TRUST_PROXY=loopback), over https', () => {
    let t: TestApp;
    const LIMIT = 2;

    beforeAll(async () => {
      t = await startTestApp({
        env: {
          OAUTH_RATE_LIMIT_PER_MINUTE: String(LIMIT),
          TRUST_PROXY: 'loopback',
          PUBLIC_URL: 'https://connect.example',
        },
      });
    }, 60_000);
    afterAll(() => t?.close());

    const from = (ip: string) =>
      rawRequest(t.baseUrl, 'GET', '/oauth/keap/authorize?session=x', { ...JSON_ACCEPT, 'x-forwarded-for': ip });

    it('limits each client on its own: one over the limit does not affect another', async () => {
      for (let i = 0; i < LIMIT; i++) expect((await from('203.0.113.1')).status).toBe(400);
      expect((await from('203.0.113.1')).status).toBe(429);
      // Another client behind the same proxy.
      for (let i = 0; i < LIMIT; i++) expect((await from('203.0.113.2')).status).toBe(400);
      expect((await from('203.0.113.2')).status).toBe(429);
      // An IPv6 client by its /64: another address in the same /64 is the same client.
      for (let i = 0; i < LIMIT; i++) expect((await from('2001:db8:1:2::a')).status).toBe(400);
      expect((await from('2001:db8:1:2::b')).status).toBe(429);
      expect((await from('2001:db8:1:3::a')).status).toBe(400);
    });

    it('sends HSTS when PUBLIC_URL is https', async () => {
      const res = await rawRequest(t.baseUrl, 'GET', '/health/live');
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expectSecurityHeaders(res);
    });
  });
});
