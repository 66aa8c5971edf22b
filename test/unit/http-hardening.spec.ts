import type { FastifyInstance } from 'fastify';
import { loadAppConfig } from '../../src/config/app.config';
import { ConfigError } from '../../src/config/env';
import { typeormOptions } from '../../src/database/typeorm-options';
import { createHttpAdapter, HttpSettings } from '../../src/http/http-adapter';
import { isOAuthRoute } from '../../src/http/rate-limit';
import { withFrameAncestors } from '../../src/http/security-headers';

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('hardening settings (app config)', () => {
  it('defaults: 60 requests per minute on /oauth/*, no trusted proxy, 15 s statement timeout', () => {
    expect(loadAppConfig({})).toMatchObject({
      oauthRateLimitPerMinute: 60,
      trustProxy: false,
      databaseStatementTimeoutMs: 15_000,
    });
  });

  it('0 turns the rate limit and the statement timeout off', () => {
    expect(loadAppConfig({ OAUTH_RATE_LIMIT_PER_MINUTE: '0', DATABASE_STATEMENT_TIMEOUT_MS: '0' })).toMatchObject({
      oauthRateLimitPerMinute: 0,
      databaseStatementTimeoutMs: 0,
    });
  });

  it.each([
    ['OAUTH_RATE_LIMIT_PER_MINUTE', '-1'],
    ['OAUTH_RATE_LIMIT_PER_MINUTE', '2.5'],
    ['OAUTH_RATE_LIMIT_PER_MINUTE', 'many'],
    ['OAUTH_RATE_LIMIT_PER_MINUTE', '1000000'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '-5'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '15s'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '9999999999'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    const problems = problemsOf(() => loadAppConfig({ [name]: value }));
    expect(problems).toContain(`${name}: must be`);
  });

  it.each([
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['loopback', ['loopback']],
    ['loopback, uniquelocal', ['loopback', 'uniquelocal']],
    ['10.0.0.5,172.16.0.0/12,::1,fd00::/8', ['10.0.0.5', '172.16.0.0/12', '::1', 'fd00::/8']],
  ])('TRUST_PROXY=%s → trustProxy %j', (value, expected) => {
    expect(loadAppConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it.each(['true', 'yes', '11', 'proxy.internal', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', ' , '])(
    'refuses TRUST_PROXY=%j without echoing it',
    (value) => {
      const problems = problemsOf(() => loadAppConfig({ TRUST_PROXY: value }));
      expect(problems).toContain('TRUST_PROXY: must be false, a number of proxy hops, or');
      if (value.trim().replace(/,/g, '')) expect(problems).not.toContain(value);
    },
  );
});

describe('typeormOptions: statement_timeout on every pooled connection', () => {
  it('passes the timeout to pg, which sends it when a connection opens', () => {
    expect(typeormOptions('postgres://x@127.0.0.1/x', 2, [], 1234).extra).toEqual({
      max: 2,
      application_name: 'oauth-connections',
      statement_timeout: 1234,
    });
  });

  it('0: none (the server default)', () => {
    expect(typeormOptions('postgres://x@127.0.0.1/x', 2, [], 0).extra).not.toHaveProperty('statement_timeout');
  });

  it('reads DATABASE_STATEMENT_TIMEOUT_MS when not given', () => {
    const saved = process.env.DATABASE_STATEMENT_TIMEOUT_MS;
    process.env.DATABASE_STATEMENT_TIMEOUT_MS = '4321';
    try {
      expect(typeormOptions('postgres://x@127.0.0.1/x', 2, []).extra).toMatchObject({ statement_timeout: 4321 });
    } finally {
      if (saved === undefined) delete process.env.DATABASE_STATEMENT_TIMEOUT_MS;
      else process.env.DATABASE_STATEMENT_TIMEOUT_MS = saved;
    }
  });
});

describe("withFrameAncestors: a route's own CSP keeps its directives and is never framable", () => {
  it.each([
    [
      "default-src 'none'; style-src 'unsafe-inline'",
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    ],
    ["default-src 'none'; ", "default-src 'none'; frame-ancestors 'none'"],
    ["default-src 'none'; frame-ancestors 'self'", "default-src 'none'; frame-ancestors 'self'"],
    ["frame-ancestors https://a.example; default-src 'none'", "frame-ancestors https://a.example; default-src 'none'"],
  ])('%j → %j', (csp, expected) => {
    expect(withFrameAncestors(csp)).toBe(expected);
  });
});

describe('the HTTP adapter alone (Fastify inject, no app, no database)', () => {
  let fastify: FastifyInstance;
  const LIMIT = 2;
  const settings: HttpSettings = {
    publicUrl: 'http://localhost:3000',
    trustProxy: false,
    oauthRateLimitPerMinute: LIMIT,
    signInRateLimitPerMinute: 0,
    eventsRateLimitPerMinute: LIMIT,
    requestTimeoutMs: 30_000,
    headersTimeoutMs: 10_000,
    keepAliveTimeoutMs: 72_000,
  };

  beforeAll(async () => {
    fastify = createHttpAdapter(undefined, settings).getInstance<FastifyInstance>();
    fastify.get('/oauth/:provider/authorize', (_request, reply) => reply.send({ ok: true }));
    fastify.get('/health/live', (_request, reply) => reply.send({ status: 'ok' }));
    fastify.post('/events/:provider/:token', (_request, reply) => reply.send({ received: true }));
    fastify.post('/events/:provider', (_request, reply) => reply.send({ received: true }));
    fastify.get('/docs', (_request, reply) => reply.type('text/html').send('<!doctype html>'));
    await fastify.ready();
  });
  afterAll(() => fastify.close());

  const authorize = (remoteAddress: string, headers: Record<string, string> = {}) =>
    fastify.inject({ method: 'GET', url: '/oauth/keap/authorize', remoteAddress, headers });

  it('counts each connecting address on its own', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await authorize('192.0.2.1')).statusCode).toBe(200);
    const limited = await authorize('192.0.2.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ statusCode: 429, code: 'rate_limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another client is not affected.
    expect((await authorize('192.0.2.2')).statusCode).toBe(200);
    // X-Forwarded-For is not believed (trustProxy off).
    expect((await authorize('192.0.2.1', { 'x-forwarded-for': '192.0.2.3' })).statusCode).toBe(429);
  });

  it('counts event deliveries per subscription URL whatever the address, and per provider and client on the app-level route', async () => {
    const deliver = (url: string, remoteAddress: string) =>
      fastify.inject({
        method: 'POST',
        url,
        remoteAddress,
        payload: '{}',
        headers: { 'content-type': 'application/json' },
      });
    const a = `/events/keap/${'a'.repeat(43)}`;
    const b = `/events/keap/${'b'.repeat(43)}`;
    // A provider posts from many addresses: the URL is what is counted.
    for (let i = 0; i < LIMIT; i++) expect((await deliver(a, `198.51.100.${i}`)).statusCode).toBe(200);
    const limited = await deliver(a, '198.51.100.99');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'rate_limited' });
    // Another subscription is not affected.
    expect((await deliver(b, '198.51.100.1')).statusCode).toBe(200);
    // The app-level route has no secret in its URL: per provider and client, so one network's flood
    // does not use up the count of the provider's own deliveries.
    for (let i = 0; i < LIMIT; i++) expect((await deliver('/events/clickfunnels', '203.0.113.7')).statusCode).toBe(200);
    expect((await deliver('/events/clickfunnels', '203.0.113.7')).statusCode).toBe(429);
    expect((await deliver('/events/clickfunnels', '203.0.113.8')).statusCode).toBe(200);
    expect((await deliver('/events/lightfunnels', '203.0.113.7')).statusCode).toBe(200);
  });

  it('never limits anything but /oauth/*, sign-in and /events/*', async () => {
    for (let i = 0; i < LIMIT * 3; i++)
      expect(
        (await fastify.inject({ method: 'GET', url: '/health/live', remoteAddress: '192.0.2.9' })).statusCode,
      ).toBe(200);
  });

  it('gives /docs its own CSP and everything else the strict one', async () => {
    const docs = await fastify.inject({ method: 'GET', url: '/docs' });
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    expect(docs.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const health = await fastify.inject({ method: 'GET', url: '/health/live' });
    expect(health.headers['content-security-policy']).toBe(
      "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
    );
  });

  it('isOAuthRoute: by the matched route pattern, whatever the case of the path', () => {
    expect(isOAuthRoute('/oauth/:provider/callback')).toBe(true);
    expect(isOAuthRoute('/OAuth/:provider/callback')).toBe(true);
    expect(isOAuthRoute('/oauthx')).toBe(false);
    expect(isOAuthRoute('/connections/:id/credentials')).toBe(false);
    expect(isOAuthRoute(undefined)).toBe(false);
  });
});
