import { randomBytes } from 'node:crypto';
import { from, switchMap } from 'rxjs';
import { FakeProvider } from '../support/fake-provider';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { metricCount, scrapeMetrics } from '../support/metrics';
import { eventually, rawRequest, RawAnswer } from '../support/raw-http';

/**
 * GET /connections/{id}/credentials, the hot path, answered by the Nest route on Fastify like every
 * other request (there is no fast path in front of it any more). Successor of the fast-path spec,
 * which compared the fast path's answers with this route's: every case it checked is asserted here
 * on the route alone. Basic answers (token, 409, 404/400, moved ciphertext) are in
 * connections.e2e.spec.ts, the refresh lifecycle against the simulators in refresh.e2e.spec.ts.
 */
describe('GET /connections/{id}/credentials through the Nest pipeline', () => {
  const provider = new FakeProvider();
  let t: TestApp;
  /** request.url of every request a global interceptor saw. */
  const intercepted: string[] = [];
  /** Requests with an `x-test-hold: <name>` header wait in the interceptor (after arriving, before the handler) until released. */
  const holds = new Map<string, { released: Promise<void>; release: () => void }>();
  const hold = (name: string) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    holds.set(name, { released, release });
    return release;
  };

  beforeAll(async () => {
    await provider.start();
    let refreshes = 0;
    provider.on('POST', '/token', (req) =>
      String(req.body.refresh_token).startsWith('RT-broken')
        ? { status: 500, json: { error: 'server_error' } }
        : {
            json: {
              access_token: `AT-new-${++refreshes}`,
              refresh_token: `RT-new-${refreshes}`,
              token_type: 'bearer',
              expires_in: 86_400,
              scope: 'full',
            },
          },
    );
    t = await startTestApp({
      env: {
        SANDBOX: 'false',
        KEAP_CLIENT_ID: 'cid',
        KEAP_CLIENT_SECRET: 'csecret',
        KEAP_AUTHORIZE_URL: `${provider.url}/authorize`,
        KEAP_TOKEN_URL: `${provider.url}/token`,
        KEAP_API_BASE_URL: `${provider.url}/api`,
        HTTP_TIMEOUT_MS: '2000',
      },
      configure: (app) =>
        app.useGlobalInterceptors({
          intercept(ctx, next) {
            const request = ctx
              .switchToHttp()
              .getRequest<{ url: string; headers: Record<string, string | undefined> }>();
            intercepted.push(request.url);
            const held = holds.get(request.headers['x-test-hold'] ?? '');
            return held ? from(held.released).pipe(switchMap(() => next.handle())) : next.handle();
          },
        }),
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await provider.stop();
  });

  const FUTURE = '2099-01-02T03:04:05.000Z';
  const KEY = { authorization: `Bearer ${TEST_API_KEY}` };

  /** A Keap connection with its own refresh token (so provider calls can be told apart); returns its id and refresh token. */
  async function seed(overrides: Record<string, unknown> = {}): Promise<{ id: string; refreshToken: string }> {
    const tag = randomBytes(4).toString('hex');
    const body = {
      provider: 'keap',
      ownerId: `owner-${tag}`,
      accessToken: 'AT-1',
      refreshToken: `RT-${tag}`,
      expiresAt: FUTURE,
      ...overrides,
    };
    const res = await t.api.post('/connections').send(body).expect(201);
    return { id: res.body.id as string, refreshToken: body.refreshToken };
  }
  const row = async (id: string) =>
    (
      await t.dataSource.query('SELECT token_version, access_token, refresh_token FROM connections WHERE id = $1', [id])
    )[0];
  const tokenCalls = (refreshToken: string) =>
    provider.requestsTo('/token').filter((r) => r.body.refresh_token === refreshToken);
  const credentials = (
    id: string,
    query = '',
    headers: Record<string, string> = KEY,
    method = 'GET',
    body?: string,
  ): Promise<RawAnswer> => rawRequest(t.baseUrl, method, `/connections/${id}/credentials${query}`, headers, body);
  /** The answer for a connection as seed() stores it. */
  const storedCredentials = () => ({
    accessToken: 'AT-1',
    tokenType: 'Bearer',
    expiresAt: FUTURE,
    apiBaseUrl: `${provider.url}/api`,
    scopes: ['full'],
    accountId: 'default',
    version: '1',
  });

  describe('a token that is still fresh', () => {
    it.each([
      ['no query', '', KEY],
      ['forceRefresh=false', '?forceRefresh=false', KEY],
      ['an empty query (?)', '?', KEY],
      ['a lower-case bearer scheme', '', { authorization: `bearer ${TEST_API_KEY}` }],
      ['Content-Length: 0', '', { ...KEY, 'content-length': '0' }],
    ])(
      'is served as stored with %s: 200, the exact body, Cache-Control: no-store, no provider call',
      async (_name, query, headers) => {
        const { id, refreshToken } = await seed();
        const res = await credentials(id, query, headers);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(storedCredentials());
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(tokenCalls(refreshToken)).toHaveLength(0);
        expect((await row(id)).token_version).toBe(1);
      },
    );
  });

  describe('errors of the route', () => {
    it('answers an id that does not exist with 404 connection_not_found and Cache-Control: no-store', async () => {
      const id = '00000000-0000-4000-8000-000000000000';
      const res = await credentials(id);
      expect(res.status).toBe(404);
      const requestId = res.headers['x-request-id'];
      expect(res.body).toEqual({
        statusCode: 404,
        code: 'connection_not_found',
        message: `Connection ${id} does not exist`,
        requestId,
      });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('answers a connection that needs reauthorization with 409 connection_needs_reauth and Cache-Control: no-store', async () => {
      const { id } = await seed();
      await t.dataSource.query(`UPDATE connections SET status = 'needs_reauth' WHERE id = $1`, [id]);
      const res = await credentials(id);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ statusCode: 409, code: 'connection_needs_reauth' });
      expect(res.text).not.toContain('AT-1');
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it.each([
      ['no API key', 401, 'unauthorized', '', {}],
      ['a wrong API key', 401, 'unauthorized', '', { authorization: 'Bearer nope-nope-nope' }],
      ['an unknown parameter', 400, 'validation_failed', '?bogus=1', KEY],
      ['a bad forceRefresh', 400, 'validation_failed', '?forceRefresh=yes', KEY],
      ['a repeated forceRefresh', 400, 'validation_failed', '?forceRefresh=false&forceRefresh=false', KEY],
    ])('refuses %s with %i %s, without serving the token', async (_name, status, code, query, headers) => {
      const { id } = await seed();
      // A valid request first: nothing the app learns or caches from it may let the next one through.
      expect((await credentials(id)).status).toBe(200);
      const res = await credentials(id, query, headers);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, code, requestId: expect.any(String) });
      expect(res.text).not.toContain('AT-1');
    });

    it('refuses an id that is not a UUID with 400 validation_failed', async () => {
      const res = await rawRequest(t.baseUrl, 'GET', '/connections/not-a-uuid/credentials', KEY);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'validation_failed', message: 'id must be a UUID' });
    });

    it('answers POST on the path with 404 route_not_found', async () => {
      const { id } = await seed();
      const res = await credentials(id, '', KEY, 'POST');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        statusCode: 404,
        code: 'route_not_found',
        message: 'No such route',
        requestId: res.headers['x-request-id'],
      });
    });
  });

  describe('request forms the route accepts', () => {
    it('serves a trailing slash like the path without it', async () => {
      const { id } = await seed();
      const res = await rawRequest(t.baseUrl, 'GET', `/connections/${id}/credentials/`, KEY);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(storedCredentials());
    });

    it('decodes a percent-encoded id (- as %2D)', async () => {
      const { id } = await seed();
      const res = await credentials(id.replace(/-/g, '%2D'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(storedCredentials());
    });

    it('answers HEAD with 200, the GET headers and no body', async () => {
      const { id } = await seed();
      const res = await credentials(id, '', KEY, 'HEAD');
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    });

    it('does not read the body of a GET: a malformed JSON body is answered as if there were none', async () => {
      const { id } = await seed();
      const res = await credentials(
        id,
        '',
        { ...KEY, 'content-type': 'application/json', 'content-length': '1' },
        'GET',
        '{',
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual(storedCredentials());
    });
  });

  describe('refreshing', () => {
    it('refreshes on demand when the token is due, and serves and stores the new one', async () => {
      const { id, refreshToken } = await seed({ expiresAt: new Date(Date.now() + 30_000).toISOString() });
      const before = Date.now();
      const res = await credentials(id);
      expect(res.status).toBe(200);
      expect(res.body.accessToken).toMatch(/^AT-new-\d+$/);
      expect(Date.parse(res.body.expiresAt)).toBeGreaterThanOrEqual(before + 86_400_000 - 1000);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(tokenCalls(refreshToken)).toHaveLength(1);
      expect((await row(id)).token_version).toBe(2);
      // The next call gets the stored new token without another refresh.
      expect((await credentials(id)).body.accessToken).toBe(res.body.accessToken);
      expect(tokenCalls(refreshToken)).toHaveLength(1);
    });

    it('rotates a fresh token with forceRefresh=true', async () => {
      const { id, refreshToken } = await seed();
      const before = await row(id);
      const res = await credentials(id, '?forceRefresh=true');
      expect(res.status).toBe(200);
      expect(res.body.accessToken).toMatch(/^AT-new-\d+$/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(tokenCalls(refreshToken)).toHaveLength(1);
      const after = await row(id);
      expect(after.token_version).toBe(before.token_version + 1);
      expect(after.refresh_token).not.toBe(before.refresh_token);
    });

    it('answers 502 provider_unavailable when the token has expired and the provider fails, and keeps the stored tokens', async () => {
      const { id, refreshToken } = await seed({ refreshToken: `RT-broken-${randomBytes(4).toString('hex')}` });
      await t.dataSource.query(`UPDATE connections SET expires_at = now() - interval '1 minute' WHERE id = $1`, [id]);
      const before = await row(id);
      const res = await credentials(id);
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ statusCode: 502, code: 'provider_unavailable' });
      expect(res.text).not.toContain('AT-1');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(tokenCalls(refreshToken).length).toBeGreaterThanOrEqual(1);
      expect(await row(id)).toEqual(before);
      expect(before.token_version).toBe(1);
    });

    it('answers 502 with Retry-After, without calling the provider, while it asked to back off', async () => {
      const { id, refreshToken } = await seed();
      await t.dataSource.query(
        `UPDATE connections SET expires_at = now() - interval '1 minute', next_refresh_at = now() + interval '90 seconds',
                last_error = '{"code":"rate_limited","message":"provider answered 429","at":"2026-01-01T00:00:00Z"}' WHERE id = $1`,
        [id],
      );
      const res = await credentials(id);
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ statusCode: 502, code: 'provider_unavailable' });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(88);
      expect(retryAfter).toBeLessThanOrEqual(90);
      expect(tokenCalls(refreshToken)).toHaveLength(0);
    });
  });

  it('answers a token that cannot be decrypted with a generic 500, logged once in the request context', async () => {
    const donor = await seed();
    const { id } = await seed();
    // A ciphertext bound to another row: authenticated decryption must refuse it.
    await t.dataSource.query(
      `UPDATE connections SET access_token = (SELECT access_token FROM connections WHERE id = $1) WHERE id = $2`,
      [donor.id, id],
    );
    const rid = `decrypt-${randomBytes(4).toString('hex')}`;
    const res = await credentials(id, '', { ...KEY, 'x-request-id': rid });
    expect(res.status).toBe(500);
    expect(res.headers['x-request-id']).toBe(rid);
    expect(res.body).toEqual({
      statusCode: 500,
      code: 'internal_error',
      message: 'Internal server error',
      requestId: rid,
    });
    expect(res.headers['cache-control']).toBe('no-store');
    const failures = () =>
      t.logs.entries().filter((e) => e.msg === 'request failed' && (e.req as { id?: string } | undefined)?.id === rid);
    await eventually(() => expect(failures()).toHaveLength(1));
    expect(failures()[0]).toMatchObject({
      level: 50,
      code: 'internal_error',
      err: { type: 'DecryptionError' },
      req: { id: rid, method: 'GET' },
    });
  });

  it('writes one request log line: id, method, path without the query string, status', async () => {
    const { id } = await seed();
    const rid = `route-log-${randomBytes(4).toString('hex')}`;
    expect((await credentials(id, '?forceRefresh=false', { ...KEY, 'x-request-id': rid })).status).toBe(200);
    const lines = () =>
      t.logs
        .entries()
        .filter((e) => e.msg === 'request completed' && (e.req as { id?: string } | undefined)?.id === rid);
    await eventually(() => expect(lines()).toHaveLength(1));
    expect(lines()[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: rid, method: 'GET', path: `/connections/${id}/credentials` },
      res: { statusCode: 200 },
    });
    expect(JSON.stringify(lines()[0])).not.toContain('forceRefresh');
  });

  describe('metrics', () => {
    const count = async (method: string, route: string, status: string): Promise<number> =>
      metricCount(await scrapeMetrics(t), 'http_request_duration_seconds_count', { method, route, status });

    it('counts each request once under the route pattern', async () => {
      const { id } = await seed();
      const before = await count('GET', '/connections/:id/credentials', '200');
      expect((await credentials(id)).status).toBe(200);
      await eventually(async () => expect(await count('GET', '/connections/:id/credentials', '200')).toBe(before + 1));
      expect((await credentials(id, '?forceRefresh=false')).status).toBe(200);
      await eventually(async () => expect(await count('GET', '/connections/:id/credentials', '200')).toBe(before + 2));
    });

    it('counts a request to an unknown route, or with a method the path does not have, under route="unmatched"', async () => {
      const { id } = await seed();
      const getBefore = await count('GET', 'unmatched', '404');
      const postBefore = await count('POST', 'unmatched', '404');
      expect((await rawRequest(t.baseUrl, 'GET', `/no-such-route/${id}`, KEY)).status).toBe(404);
      expect((await credentials(id, '', KEY, 'POST')).status).toBe(404);
      await eventually(async () => {
        expect([await count('GET', 'unmatched', '404'), await count('POST', 'unmatched', '404')]).toEqual([
          getBefore + 1,
          postBefore + 1,
        ]);
      });
      expect((await t.api.get('/metrics').expect(200)).text).not.toContain(id);
    });
  });

  it("runs inside Nest's pipeline: a global interceptor sees the request", async () => {
    // Nothing in front of Fastify on the server: its handler is the only request listener.
    expect(t.app.getHttpServer().listeners('request')).toHaveLength(1);
    const { id } = await seed();
    const url = `/connections/${id}/credentials?forceRefresh=false`;
    expect(intercepted).not.toContain(url);
    expect((await rawRequest(t.baseUrl, 'GET', url, KEY)).status).toBe(200);
    expect(intercepted.filter((u) => u === url)).toHaveLength(1);
  });

  it('keeps serving when a selected column changes type under the running app (its prepared statement fails, the query is re-sent unprepared)', async () => {
    const { id } = await seed();
    // Sequential calls: the pool's connections have the statement prepared for the old column type.
    for (let i = 0; i < 12; i++) expect((await credentials(id)).status).toBe(200);
    await t.dataSource.query('ALTER TABLE connections ALTER COLUMN token_type TYPE text');
    try {
      for (let i = 0; i < 12; i++) {
        const res = await credentials(id);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(storedCredentials());
      }
    } finally {
      await t.dataSource.query('ALTER TABLE connections ALTER COLUMN token_type TYPE varchar(32)');
    }
  });

  it('forceRefresh counts from when the request arrived: one that waited while another refresh finished gets that result, no second provider call', async () => {
    const { id } = await seed();
    const url = `/connections/${id}/credentials?forceRefresh=true`;
    const release = hold(`late-${id}`);
    // B arrives first and waits (as behind a busy event loop) between arriving and its handler.
    const late = rawRequest(t.baseUrl, 'GET', url, { ...KEY, 'x-test-hold': `late-${id}` });
    await eventually(() => expect(intercepted).toContain(url));
    const callsBefore = provider.requestsTo('/token').length;
    // A arrives after B and refreshes: a refresh that finished after B arrived.
    const first = await credentials(id, '?forceRefresh=true');
    expect(first.status).toBe(200);
    expect(provider.requestsTo('/token').length).toBe(callsBefore + 1);
    release();
    const res = await late;
    expect(res.status).toBe(200);
    expect(res.body.accessToken).toBe(first.body.accessToken);
    expect(provider.requestsTo('/token').length).toBe(callsBefore + 1);
    expect((await row(id)).token_version).toBe(2);
  });
});
