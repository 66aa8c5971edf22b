import { randomBytes } from 'node:crypto';
import { IncomingHttpHeaders, request, Server } from 'node:http';
import { CredentialsFastPath } from '../src/refresh/credentials-fast-path';
import { FakeProvider } from './support/fake-provider';
import { startTestApp, TEST_API_KEY, TestApp } from './support/app';

/**
 * GET /connections/{id}/credentials is answered before Express when the request is well-formed and
 * authorized (src/refresh/credentials-fast-path.ts). These tests send the same requests to an app with
 * the fast path and one without (CREDENTIALS_FAST_PATH=false, the plain Nest route) over the same
 * kind of data, and require the same answers, log lines and metrics, and that the fast path took
 * exactly the requests it should.
 */
describe('credentials fast path: same answers as the Nest route', () => {
  const provider = new FakeProvider();
  let refreshes = 0;
  let fast: TestApp;
  let nest: TestApp;
  let served: boolean[];

  const env = () => ({
    SANDBOX: 'false',
    KEAP_CLIENT_ID: 'cid',
    KEAP_CLIENT_SECRET: 'csecret',
    KEAP_AUTHORIZE_URL: `${provider.url}/authorize`,
    KEAP_TOKEN_URL: `${provider.url}/token`,
    KEAP_REVOKE_URL: `${provider.url}/revoke`,
    KEAP_API_BASE_URL: `${provider.url}/api`,
    HTTP_TIMEOUT_MS: '2000',
  });

  beforeAll(async () => {
    await provider.start();
    provider.on('POST', '/token', (req) =>
      req.body.refresh_token === 'RT-broken'
        ? { status: 500, json: { error: 'server_error' } }
        : { json: { access_token: `AT-new-${++refreshes}`, refresh_token: `RT-new-${refreshes}`, token_type: 'bearer', expires_in: 86_400, scope: 'full' } },
    );
    // One after the other: startTestApp sets process.env while the app reads its configuration.
    fast = await startTestApp({ env: env() });
    nest = await startTestApp({ env: { ...env(), CREDENTIALS_FAST_PATH: 'false' } });
    const fastPath = fast.app.get(CredentialsFastPath);
    const tryServe = fastPath.tryServe.bind(fastPath);
    jest.spyOn(fastPath, 'tryServe').mockImplementation((req, res) => {
      const taken = tryServe(req, res);
      if (req.url?.includes('/credentials')) served.push(taken);
      return taken;
    });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([fast?.close(), nest?.close()]);
    await provider.stop();
  });
  beforeEach(() => {
    served = [];
  });

  const FUTURE = '2099-01-02T03:04:05.000Z';
  /** The same connection (same tokens, expiry, owner) in both apps; returns each app's id. */
  async function seed(overrides: Record<string, unknown> = {}): Promise<[string, string]> {
    const body = { provider: 'keap', ownerId: `owner-${randomBytes(4).toString('hex')}`, accessToken: 'AT-1', refreshToken: 'RT-1', expiresAt: FUTURE, ...overrides };
    const ids = await Promise.all([fast, nest].map(async (t) => (await t.api.post('/connections').send(body).expect(201)).body.id as string));
    return ids as [string, string];
  }

  interface Answer {
    status: number;
    body: unknown;
    headers: Record<string, string>;
  }
  const VOLATILE = new Set(['x-request-id', 'date', 'connection', 'keep-alive']);
  /** One request over node:http (fetch refuses a GET with a body); the answer without what varies per request. */
  async function ask(t: TestApp, method: string, path: string, headers: Record<string, string>, id: string, body?: string): Promise<Answer> {
    const res = await new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const req = request(`${t.baseUrl}${path.replace(':id', id)}`, { method, headers }, (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (chunk: string) => (text += chunk));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    const requestId = res.headers['x-request-id'];
    expect(requestId).toBeTruthy();
    const kept = Object.fromEntries(Object.entries(res.headers).filter(([name]) => !VOLATILE.has(name))) as Record<string, string>;
    let parsedBody: unknown = res.text;
    if (res.text) {
      const parsed = JSON.parse(res.text) as Record<string, unknown>;
      if ('requestId' in parsed) expect(parsed.requestId).toBe(requestId);
      parsedBody = JSON.parse(JSON.stringify({ ...parsed, requestId: undefined }).replaceAll(id, ':id'));
    }
    return { status: res.status, body: parsedBody, headers: kept };
  }
  const KEY = { authorization: `Bearer ${TEST_API_KEY}` };
  async function both(method: string, path: string, headers: Record<string, string>, ids: [string, string], body?: string): Promise<[Answer, Answer]> {
    const a = await ask(fast, method, path, headers, ids[0], body);
    const b = await ask(nest, method, path, headers, ids[1], body);
    return [a, b];
  }

  it.each([
    ['a fresh token', '/connections/:id/credentials', KEY, 200],
    ['forceRefresh=false', '/connections/:id/credentials?forceRefresh=false', KEY, 200],
    ['an empty query', '/connections/:id/credentials?', KEY, 200],
    ['lower-case scheme', '/connections/:id/credentials', { authorization: `bearer ${TEST_API_KEY}` }, 200],
    ['an empty body (Content-Length: 0)', '/connections/:id/credentials', { ...KEY, 'content-length': '0' }, 200],
  ])('serves %s exactly like the Nest route', async (_name, path, headers, status) => {
    const ids = await seed();
    const [a, b] = await both('GET', path, headers, ids);
    expect(a).toEqual(b);
    expect(a.status).toBe(status);
    expect(a.body).toEqual({ accessToken: 'AT-1', tokenType: 'Bearer', expiresAt: FUTURE, apiBaseUrl: `${provider.url}/api`, scopes: ['full'], accountId: expect.any(String) });
    expect(a.headers['cache-control']).toBe('no-store');
    expect(served).toEqual([true]);
  });

  it('answers an id that does not exist, and one needing reauth, with the same errors', async () => {
    const missing: [string, string] = ['00000000-0000-4000-8000-000000000000', '00000000-0000-4000-8000-000000000000'];
    const [a, b] = await both('GET', '/connections/:id/credentials', KEY, missing);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ status: 404, body: { code: 'connection_not_found' }, headers: { 'cache-control': 'no-store' } });

    const ids = await seed();
    await fast.dataSource.query(`UPDATE connections SET status = 'needs_reauth' WHERE id = $1`, [ids[0]]);
    await nest.dataSource.query(`UPDATE connections SET status = 'needs_reauth' WHERE id = $1`, [ids[1]]);
    const [c, d] = await both('GET', '/connections/:id/credentials', KEY, ids);
    expect(c).toEqual(d);
    expect(c).toMatchObject({ status: 409, body: { code: 'connection_needs_reauth' } });
    expect(served).toEqual([true, true]);
  });

  it('refreshes the same way: on demand when due, with forceRefresh, and fails alike when the provider does', async () => {
    const due = await seed({ expiresAt: new Date(Date.now() + 30_000).toISOString() });
    const [a, b] = await both('GET', '/connections/:id/credentials', KEY, due);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    for (const answer of [a, b]) expect((answer.body as { accessToken: string }).accessToken).toMatch(/^AT-new-\d+$/);

    const forced = await seed();
    const [c, d] = await both('GET', '/connections/:id/credentials?forceRefresh=true', KEY, forced);
    expect([c.status, d.status]).toEqual([200, 200]);
    expect(c.headers).toEqual(d.headers);

    // The provider fails and the token has expired: the same 502, and the stored tokens stay as they were.
    const broken = await seed({ refreshToken: 'RT-broken', expiresAt: new Date(Date.now() + 1000).toISOString() });
    await new Promise((r) => setTimeout(r, 1100));
    const [e, f] = await both('GET', '/connections/:id/credentials', KEY, broken);
    expect(e).toEqual(f);
    expect(e).toMatchObject({ status: 502, body: { code: 'provider_unavailable' } });
    const row = (await fast.dataSource.query(`SELECT token_version FROM connections WHERE id = $1`, [broken[0]]))[0];
    expect(row.token_version).toBe(1);
    expect(served).toEqual([true, true, true]);
  });

  it('answers a token that cannot be decrypted with the same 500, logged in the request context', async () => {
    const ids = await seed();
    const other = await seed();
    for (const [t, i] of [[fast, 0], [nest, 1]] as const) {
      await t.dataSource.query(`UPDATE connections SET access_token = (SELECT access_token FROM connections WHERE id = $1) WHERE id = $2`, [ids[i], other[i]]);
    }
    const rid = `decrypt-${randomBytes(4).toString('hex')}`;
    const [a, b] = await both('GET', '/connections/:id/credentials', { ...KEY, 'x-request-id': rid }, other);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ status: 500, body: { code: 'internal_error', message: 'Internal server error' } });
    expect(served).toEqual([true]);
    // Each app logs the failure once, in its own log, with the request it belongs to.
    const failures = (t: TestApp) => t.logs.entries().filter((e) => e.msg === 'request failed' && (e.req as { id?: string } | undefined)?.id === rid);
    for (const t of [fast, nest]) {
      expect(failures(t)).toHaveLength(1);
      expect(failures(t)[0]).toMatchObject({ level: 50, code: 'internal_error', err: { type: 'DecryptionError' }, req: { method: 'GET' } });
    }
    expect(Object.keys(failures(fast)[0]).sort()).toEqual(Object.keys(failures(nest)[0]).sort());
  });

  it('answers a provider that asked to back off with the same 502 and Retry-After', async () => {
    const ids = await seed();
    for (const [t, i] of [[fast, 0], [nest, 1]] as const) {
      await t.dataSource.query(
        `UPDATE connections SET expires_at = now() - interval '1 minute', next_refresh_at = now() + interval '90 seconds',
                last_error = '{"code":"rate_limited","message":"provider answered 429","at":"2026-01-01T00:00:00Z"}' WHERE id = $1`,
        [ids[i]],
      );
    }
    const [a, b] = await both('GET', '/connections/:id/credentials', KEY, ids);
    expect({ ...a, headers: { ...a.headers, 'retry-after': undefined } }).toEqual({ ...b, headers: { ...b.headers, 'retry-after': undefined } });
    expect(a).toMatchObject({ status: 502, body: { code: 'provider_unavailable' } });
    for (const answer of [a, b]) expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(88);
    expect(served).toEqual([true]);
  });

  it.each([
    ['no API key', '/connections/:id/credentials', {}, 401],
    ['a wrong API key', '/connections/:id/credentials', { authorization: 'Bearer nope-nope-nope' }, 401],
    ['an id that is not a UUID', '/connections/not-a-uuid/credentials', KEY, 400],
    ['an unknown parameter', '/connections/:id/credentials?bogus=1', KEY, 400],
    ['a bad forceRefresh', '/connections/:id/credentials?forceRefresh=yes', KEY, 400],
    ['a repeated forceRefresh', '/connections/:id/credentials?forceRefresh=false&forceRefresh=false', KEY, 400],
    ['a trailing slash', '/connections/:id/credentials/', KEY, 200],
    ['an encoded id', '/connections/:id/credentials', KEY, 200],
  ])('leaves %s to the Nest route (same answer)', async (name, path, headers, status) => {
    const ids = await seed();
    const encoded = name === 'an encoded id' ? (ids.map((id) => id.replace(/-/g, '%2D')) as [string, string]) : ids;
    const [a, b] = await both('GET', path, headers, encoded);
    expect(a).toEqual(b);
    expect(a.status).toBe(status);
    expect(served).toEqual([false]);
  });

  it('leaves other methods on the path to Express', async () => {
    const ids = await seed();
    const [a, b] = await both('HEAD', '/connections/:id/credentials', KEY, ids);
    expect(a).toEqual(b);
    expect(a.status).toBe(200);
    const [c, d] = await both('POST', '/connections/:id/credentials', KEY, ids);
    expect(c).toEqual(d);
    expect(c.status).toBe(404);
    // A GET with a body goes through Express's body parser: a malformed one is refused the same way.
    const [e, f] = await both('GET', '/connections/:id/credentials', { ...KEY, 'content-type': 'application/json', 'content-length': '1' }, ids, '{');
    expect(e).toEqual(f);
    expect(e).toMatchObject({ status: 400, body: { code: 'invalid_json' } });
    expect(served).toEqual([false, false, false]);
  });

  it('is installed in front of the Express app only when turned on, and refuses a server it cannot front', () => {
    const express = (t: TestApp) => t.app.getHttpAdapter().getInstance();
    expect(fast.app.getHttpServer().listeners('request')).not.toContain(express(fast));
    expect(nest.app.getHttpServer().listeners('request')).toEqual([express(nest)]);
    expect(() => fast.app.get(CredentialsFastPath).install(new Server(), () => undefined)).toThrow(/does not dispatch/);
  });

  it('writes the same request log line and metrics as the Nest route', async () => {
    const ids = await seed();
    const rid = `fast-log-${randomBytes(4).toString('hex')}`;
    const count = async (t: TestApp) => {
      const text = (await t.api.get('/metrics').expect(200)).text;
      const m = /^http_request_duration_seconds_count\{method="GET",route="\/connections\/:id\/credentials",status="200"\} (\d+)$/m.exec(text);
      return Number(m?.[1] ?? 0);
    };
    const before = [await count(fast), await count(nest)];
    await both('GET', '/connections/:id/credentials', { ...KEY, 'x-request-id': rid }, ids);
    expect(served).toEqual([true]);
    expect([await count(fast), await count(nest)]).toEqual([before[0] + 1, before[1] + 1]);

    const line = (t: TestApp) => t.logs.entries().find((e) => e.msg === 'request completed' && (e.req as { id?: string } | undefined)?.id === rid);
    const a = line(fast);
    const b = line(nest);
    expect(a).toMatchObject({ level: 30, req: { method: 'GET', path: `/connections/${ids[0]}/credentials` }, res: { statusCode: 200 } });
    const shape = (entry: Record<string, unknown> | undefined) => JSON.parse(JSON.stringify(entry, (_k, v: unknown) => (v && typeof v === 'object' ? v : typeof v)));
    expect(shape(a)).toEqual(shape(b));
  });
});
