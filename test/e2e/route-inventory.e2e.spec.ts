import { TEST_API_KEY, startTestApp, TestApp } from '../support/app';
import { rawRequest } from '../support/raw-http';
import { AppRoute, concretePath, routesOf } from '../support/routes';

/**
 * What may be reached with neither an API key nor a console session, on purpose: the path as Fastify
 * registered it and its methods. `dev`: routes of the development module (SANDBOX), which production never
 * loads. A route added to the app lands in none of these by default: it must need an API key (answer 401
 * `unauthorized` without one) or, under /admin, a console session; anything else fails this test until it
 * is added here, on purpose, with a reason.
 */
const PUBLIC: { path: string; methods: string[]; why: string; dev?: true }[] = [
  { path: '/health/live', methods: ['GET', 'HEAD'], why: 'liveness probe' },
  { path: '/health/ready', methods: ['GET', 'HEAD'], why: 'readiness probe' },
  { path: '/oauth/:provider/authorize', methods: ['GET', 'HEAD'], why: 'browser OAuth flow (a connect session)' },
  { path: '/oauth/:provider/callback', methods: ['GET', 'HEAD'], why: 'browser OAuth flow (state)' },
  { path: '/connect', methods: ['GET', 'HEAD'], why: 'hosted provider picker (a connect session)' },
  {
    path: '/connect/observe/:sessionId',
    methods: ['GET', 'HEAD', 'OPTIONS'],
    why: "a connect session's outcome (its observe token), and the CORS preflight",
  },
  {
    path: '/events/:provider/:token',
    methods: ['POST'],
    why: "provider events: the URL token and the provider's signature",
  },
  { path: '/events/:provider', methods: ['POST'], why: "provider app-level events: the provider's signature" },
  { path: '/admin/sign-in', methods: ['GET', 'HEAD', 'POST'], why: 'console sign-in (an admin key in the form)' },
  { path: '/admin/assets/:file', methods: ['GET', 'HEAD'], why: 'console stylesheet and script' },
  ...['/docs', '/docs-json', '/docs-yaml', '/docs/*', '/docs/index.html', '/docs/license'].map((path) => ({
    path,
    methods: ['GET', 'HEAD'],
    why: 'API reference (the OpenAPI document)',
  })),
  ...['/docs/swagger-ui-init.js', '/docs/docs/swagger-ui-init.js'].map((path) => ({
    path,
    methods: ['GET', 'HEAD'],
    why: 'API reference (Swagger UI)',
  })),
  { path: '/', methods: ['GET', 'HEAD'], why: 'development page', dev: true },
  { path: '/dev/connect/:provider', methods: ['POST'], why: 'development page', dev: true },
  { path: '/dev/connect.js', methods: ['GET', 'HEAD'], why: 'development page (the browser package)', dev: true },
  { path: '/dev/connections/:id/call', methods: ['POST'], why: 'development page', dev: true },
  { path: '/dev/connections/:id/subscriptions', methods: ['POST'], why: 'development page', dev: true },
  { path: '/dev/connections/:id/test-event', methods: ['POST'], why: 'development page', dev: true },
  ...[
    ['/sandbox/:provider/authorize', ['GET', 'HEAD']],
    ['/sandbox/:provider/consent', ['POST']],
    ['/sandbox/:provider/token', ['POST']],
    ['/sandbox/:provider/revoke', ['POST']],
    ['/sandbox/:provider/faults', ['POST', 'DELETE']],
    ['/sandbox/:provider/calls', ['GET', 'HEAD', 'DELETE']],
    ['/sandbox/:provider/webhooks', ['GET', 'HEAD']],
    ['/sandbox/:provider/webhooks/test-event', ['POST']],
    ...['/sandbox/:provider/api', '/sandbox/:provider/api/*'].map((path) => [
      path,
      ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY', 'TRACE'],
    ]),
  ].map(([path, methods]) => ({
    path: path as string,
    methods: methods as string[],
    why: 'provider simulators',
    dev: true as const,
  })),
];

const isPublic = (path: string, method: string) => PUBLIC.some((p) => p.path === path && p.methods.includes(method));

/** One request per route and method, each a line of the failure message when it answers wrongly. */
interface Call {
  route: string;
  method: string;
  url: string;
}

function calls(routes: AppRoute[], keep: (path: string, method: string) => boolean): Call[] {
  return routes.flatMap((r) =>
    r.methods
      .filter((method) => keep(r.path, method))
      .map((method) => ({ route: `${method} ${r.path}`, method, url: concretePath(r.path) })),
  );
}

/**
 * A body of the kind the route would take, that its parser would refuse if it were read: broken JSON for
 * the API (400 invalid_json once parsed), a form of more than 1,000 fields for the console (400 once
 * parsed). So a refusal for want of a key or a session shows they were checked before the body.
 */
function bodyFor(call: Call): { headers: Record<string, string>; body?: string } {
  if (['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(call.method)) return { headers: {} };
  if (call.url.startsWith('/admin'))
    return { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `_csrf=x&${'a&'.repeat(1_001)}` };
  return { headers: { 'Content-Type': 'application/json' }, body: '{"a":' };
}

/**
 * Every route of the app, read from its router, is public on purpose, a console page behind a session,
 * or behind an API key; a route that is none of these (a forgotten @RequireScope on a @Public()
 * controller, a console controller without ConsoleGuard) fails here.
 */
describe('route inventory: nothing answers without a key or a session unless listed as public', () => {
  let t: TestApp;
  let routes: AppRoute[];

  beforeAll(async () => {
    // The test default: no provider credentials, so the development module (SANDBOX) is on and its routes are listed too.
    t = await startTestApp();
    routes = routesOf(t.app);
  }, 60_000);
  afterAll(() => t?.close());

  it('reads every route of the router, with its methods', () => {
    const has = (path: string, method: string) => routes.some((r) => r.path === path && r.methods.includes(method));
    // A few of each kind, so a reading that lost routes (or methods) cannot pass the tests below vacuously.
    expect(has('/connections', 'GET')).toBe(true);
    expect(has('/connections/:id', 'PATCH')).toBe(true);
    expect(has('/proxy/:connectionId/*', 'PUT')).toBe(true);
    expect(has('/api-keys/:id', 'DELETE')).toBe(true);
    expect(has('/admin/connections/:id/delete', 'POST')).toBe(true);
    expect(has('/health/live', 'HEAD')).toBe(true);
    expect(routes.length).toBeGreaterThan(40);
  });

  it('lists no public route the app does not have (the list stays exact)', () => {
    // This app has the development module: its routes must be there, as the others.
    const missing = PUBLIC.flatMap((p) =>
      p.methods
        .filter((m) => !routes.some((r) => r.path === p.path && r.methods.includes(m)))
        .map((m) => `${m} ${p.path}`),
    );
    expect(missing).toEqual([]);
  });

  it('every route outside /admin and the public list answers 401 unauthorized without a key, or with an unknown one', async () => {
    const scoped = calls(routes, (path, method) => !path.startsWith('/admin') && !isPublic(path, method));
    expect(scoped.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const call of scoped) {
      const { headers, body } = bodyFor(call);
      for (const authorization of [undefined, 'Bearer not-a-key-of-this-service', `Basic ${TEST_API_KEY}`]) {
        const res = await rawRequest(
          t.baseUrl,
          call.method,
          call.url,
          authorization ? { ...headers, Authorization: authorization } : headers,
          body,
        );
        const ok = res.status === 401 && (call.method === 'HEAD' ? res.text === '' : res.body?.code === 'unauthorized');
        if (!ok) wrong.push(`${call.route} (${authorization ?? 'no key'}): ${res.status} ${res.text.slice(0, 80)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('every /admin page but sign-in and assets needs a session: without one (even with an admin API key) it answers no 2xx', async () => {
    const pages = calls(routes, (path, method) => path.startsWith('/admin') && !isPublic(path, method));
    expect(pages.map((c) => c.route)).toEqual(
      expect.arrayContaining(['GET /admin', 'POST /admin/sign-out', 'POST /admin/connections/:id/refresh']),
    );
    const wrong: string[] = [];
    for (const call of pages) {
      const { headers, body } = bodyFor(call);
      const attempts: Record<string, string>[] = [
        {},
        { Authorization: `Bearer ${TEST_API_KEY}` },
        { Cookie: 'console_session=forged' },
      ];
      for (const extra of attempts) {
        const res = await rawRequest(t.baseUrl, call.method, call.url, { ...headers, ...extra }, body);
        const refused =
          (res.status >= 300 && res.status < 400 && res.headers.location === '/admin/sign-in') ||
          res.status === 401 ||
          res.status === 403;
        if (!refused)
          wrong.push(
            `${call.route} (${Object.keys(extra)[0] ?? 'nothing'}): ${res.status} ${res.headers.location ?? ''}`,
          );
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the public routes answer without a key (the list says what is public, not what is broken)', async () => {
    // GETs only: they need no body, and each answers something other than 401 without a key.
    const gets = calls(routes, (path, method) => method === 'GET' && isPublic(path, method));
    const refused: string[] = [];
    for (const call of gets) {
      const res = await rawRequest(t.baseUrl, call.method, call.url);
      if (res.status === 401 || res.status === 403) refused.push(`${call.route}: ${res.status}`);
    }
    expect(refused).toEqual([]);
  });
});
