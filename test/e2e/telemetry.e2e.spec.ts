import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';
import { TEST_API_KEY, TEST_KEY_A } from '../support/app';
import { createTestDatabase } from '../support/database';
import { FakeProvider } from '../support/fake-provider';
import { ExportedSpan, OtlpReceiver } from '../support/otlp-receiver';
import { ROOT, SpawnedService, spawnService, stopService, waitUntilReady } from '../support/spawn';
import { waitFor } from '../support/wait';

/**
 * OpenTelemetry (docs/operations.md "Traces"), end to end: the service in a process of its own (the
 * SDK is process-wide), run from its sources (test/support/service-from-source.js), exporting over
 * OTLP/HTTP (JSON) to a receiver in the test; a token endpoint and a provider API stand in for Keap.
 */
const SERVICE_FROM_SOURCE = path.join(ROOT, 'test', 'support', 'service-from-source.js');
const CLIENT_SECRET = `keap-client-secret-${randomBytes(8).toString('hex')}`;
/** A value in a query string: never in a span. */
const QUERY_VALUE = `query-value-${randomBytes(6).toString('hex')}`;
/** A subscription's URL token (unknown here: answered 404), a secret in a path. */
const EVENTS_TOKEN = randomBytes(32).toString('base64url');
const OAUTH_CODE = `oauth-code-${randomBytes(6).toString('hex')}`;
const OAUTH_STATE = `oauth-state-${randomBytes(6).toString('hex')}`;

const SERVER = 2;
const CLIENT = 3;

/** The provider's API: records each request's headers, answers 200 with JSON. */
class ApiStandIn {
  readonly seen: { url: string; headers: http.IncomingHttpHeaders; rawHeaders: string[] }[] = [];
  private server?: http.Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.seen.push({ url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
      req.resume();
      req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"contacts":[]}'));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Every token the service ever held in this file: none may be exported. */
const tokensSeen = new Set<string>([TEST_API_KEY, CLIENT_SECRET, TEST_KEY_A.split(':')[1]]);
let issued = 0;
const tokenEndpoint = new FakeProvider();
const api = new ApiStandIn();

beforeAll(async () => {
  await tokenEndpoint.start();
  tokenEndpoint.on('POST', '/token', () => {
    issued++;
    const access = `AT-issued-${issued}-${randomBytes(6).toString('hex')}`;
    const refresh = `RT-issued-${issued}-${randomBytes(6).toString('hex')}`;
    tokensSeen.add(access).add(refresh);
    return { json: { access_token: access, refresh_token: refresh, token_type: 'bearer', expires_in: 86_400 } };
  });
  await api.start();
});

afterAll(async () => {
  await api.stop();
  await tokenEndpoint.stop();
});

interface Running {
  service: SpawnedService;
  baseUrl: string;
  dataDir: string;
  modulesFile: string;
}

async function start(extraEnv: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-otel-'));
  const modulesFile = path.join(dataDir, 'loaded-modules.txt');
  const service = spawnService(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: await createTestDatabase(),
      PORT: String(port),
      PUBLIC_URL: baseUrl,
      DATA_DIR: dataDir,
      API_KEYS: TEST_API_KEY,
      ENCRYPTION_KEYS: TEST_KEY_A,
      SANDBOX: 'false',
      KEAP_CLIENT_ID: 'keap-client',
      KEAP_CLIENT_SECRET: CLIENT_SECRET,
      KEAP_AUTHORIZE_URL: `${tokenEndpoint.url}/authorize`,
      KEAP_TOKEN_URL: `${tokenEndpoint.url}/token`,
      KEAP_API_BASE_URL: `${api.url}/crm/rest/v1`,
      REVOCATION_INTERVAL_SECONDS: '0',
      WEBHOOK_DISPATCH_INTERVAL_MS: '0',
      OAUTH_RATE_LIMIT_PER_MINUTE: '0',
      TEST_LOADED_MODULES_FILE: modulesFile,
      ...extraEnv,
    },
    { main: SERVICE_FROM_SOURCE },
  );
  await waitUntilReady(baseUrl, service, 120_000);
  return { service, baseUrl, dataDir, modulesFile };
}

async function stop(running: Running): Promise<string[]> {
  await stopService(running.service);
  const modules = fs.existsSync(running.modulesFile) ? fs.readFileSync(running.modulesFile, 'utf8').split('\n') : [];
  fs.rmSync(running.dataDir, { recursive: true, force: true });
  return modules;
}

function call(running: Running, method: string, url: string, headers: Record<string, string> = {}, body?: unknown) {
  return fetch(`${running.baseUrl}${url}`, {
    method,
    headers: {
      Authorization: `Bearer ${TEST_API_KEY}`,
      ...(body !== undefined && { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
}

async function createConnection(running: Running, ownerId: string, expiresInMs: number): Promise<string> {
  const accessToken = `AT-initial-${ownerId}-${randomBytes(6).toString('hex')}`;
  const refreshToken = `RT-initial-${ownerId}-${randomBytes(6).toString('hex')}`;
  tokensSeen.add(accessToken).add(refreshToken);
  const res = await call(
    running,
    'POST',
    '/connections',
    {},
    {
      provider: 'keap',
      ownerId,
      accountId: ownerId,
      accessToken,
      refreshToken,
      expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
    },
  );
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** JSON log lines of the service's output. */
function logLines(service: SpawnedService): Record<string, unknown>[] {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('traces exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
  const receiver = new OtlpReceiver();
  let running: Running | undefined;

  beforeAll(async () => {
    await receiver.start();
    running = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e',
      // The sweep runs every second: one connection below is due.
      REFRESH_SWEEP_INTERVAL_SECONDS: '1',
    });
  }, 150_000);

  afterAll(async () => {
    if (running) await stop(running);
    await receiver.stop();
  }, 60_000);

  /** The spans of one trace once its root (the request's server span, or a root of ours) has arrived. */
  async function traceOf(root: (span: ExportedSpan) => boolean, what: string): Promise<ExportedSpan[]> {
    let found: ExportedSpan | undefined;
    await waitFor(() => (found = receiver.spans().find(root)) !== undefined, what, 15_000);
    // Children end first, so they were exported with it or before; a batch in flight gets a moment.
    await new Promise((r) => setTimeout(r, 300));
    return receiver.spans().filter((s) => s.traceId === found!.traceId);
  }

  /** The one span of `spans` named `name` (and matching `where`). */
  function only(spans: ExportedSpan[], name: string, where: (s: ExportedSpan) => boolean = () => true): ExportedSpan {
    const matching = spans.filter((s) => s.name === name && where(s));
    expect(matching.map((s) => s.name)).toEqual([name]);
    return matching[0];
  }

  /** Whether `span` is `ancestor` or below it. */
  function under(spans: ExportedSpan[], span: ExportedSpan, ancestor: ExportedSpan): boolean {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    for (let s: ExportedSpan | undefined = span; s; s = byId.get(s.parentSpanId))
      if (s.spanId === ancestor.spanId) return true;
    return false;
  }

  /** pg query spans (and the pool's connect) under `ancestor`. */
  const pgSpansUnder = (spans: ExportedSpan[], ancestor: ExportedSpan) =>
    spans.filter((s) => s.attributes['db.system.name'] === 'postgresql' && under(spans, s, ancestor));

  /** The refresh → provider.call → POST (undici) chain of a refresh that called the token endpoint. */
  function expectRefreshChain(spans: ExportedSpan[], refresh: ExportedSpan): void {
    const providerCall = only(spans, 'provider.call', (s) => s.parentSpanId === refresh.spanId);
    expect(providerCall.attributes).toMatchObject({
      provider: 'keap',
      'provider.operation': 'token',
      'oauth.grant_type': 'refresh_token',
      'http.response.status_code': 200,
      outcome: 'ok',
    });
    const post = only(spans, 'POST', (s) => s.parentSpanId === providerCall.spanId);
    expect(post.kind).toBe(CLIENT);
    expect(post.attributes).toMatchObject({
      'url.full': `${tokenEndpoint.url}/token`,
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    expect(pgSpansUnder(spans, refresh).length).toBeGreaterThan(0);
  }

  it('a credentials call that refreshes: one trace (request, refresh, provider call, its POST, pg), traceId in its log line', async () => {
    const id = await createConnection(running!, 'otel-credentials', 86_400_000);
    const res = await call(running!, 'GET', `/connections/${id}/credentials?forceRefresh=true`);
    expect(res.status).toBe(200);
    const { accessToken } = (await res.json()) as { accessToken: string };
    expect(accessToken).toMatch(/^AT-issued-/);

    const spans = await traceOf(
      (s) => s.kind === SERVER && s.attributes['url.path'] === `/connections/${id}/credentials`,
      'the credentials request span',
    );
    const server = only(spans, 'GET /connections/:id/credentials');
    expect(server.parentSpanId).toBe('');
    expect(server.attributes).toMatchObject({
      'http.route': '/connections/:id/credentials',
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });
    expect(server.attributes).not.toHaveProperty('url.query');
    expect(server.resource).toMatchObject({
      'service.name': 'oauth-connections',
      'deployment.environment.name': 'e2e',
    });

    const refresh = only(spans, 'refresh');
    expect(under(spans, refresh, server)).toBe(true);
    expect(refresh.attributes).toMatchObject({
      provider: 'keap',
      'connection.id': id,
      'refresh.trigger': 'on_demand',
      outcome: 'refreshed',
    });
    expectRefreshChain(spans, refresh);
    // The request's own queries (the key's check, the row) are under its span too.
    expect(pgSpansUnder(spans, server).length).toBeGreaterThan(pgSpansUnder(spans, refresh).length);

    // Its request line carries the trace.
    await waitFor(
      () => logLines(running!.service).some((l) => (l.req as { path?: string })?.path?.endsWith(`${id}/credentials`)),
      'the request line',
    );
    const line = logLines(running!.service).find((l) =>
      (l.req as { path?: string })?.path?.endsWith(`${id}/credentials`),
    )!;
    expect(line.traceId).toBe(server.traceId);
    expect(line.spanId).toBe(server.spanId);
  }, 60_000);

  it('a forced refresh: one trace with its refresh span; a failing one has the provider failure as outcome', async () => {
    const id = await createConnection(running!, 'otel-refresh', 86_400_000);
    expect((await call(running!, 'POST', `/connections/${id}/refresh`)).status).toBe(200);
    const spans = await traceOf(
      (s) => s.kind === SERVER && s.attributes['url.path'] === `/connections/${id}/refresh`,
      'the refresh request span',
    );
    const server = only(spans, 'POST /connections/:id/refresh');
    const refresh = only(spans, 'refresh');
    expect(refresh.parentSpanId).toBe(server.spanId);
    expect(refresh.attributes).toMatchObject({ 'connection.id': id, provider: 'keap', outcome: 'refreshed' });
    expectRefreshChain(spans, refresh);

    // The token endpoint refuses the next one: invalid_grant, on the refresh and the provider call.
    tokenEndpoint.on('POST', '/token', { status: 400, json: { error: 'invalid_grant' } });
    try {
      expect((await call(running!, 'POST', `/connections/${id}/refresh`)).status).toBe(409);
    } finally {
      tokenEndpoint.on('POST', '/token', () => {
        issued++;
        const access = `AT-issued-${issued}-${randomBytes(6).toString('hex')}`;
        const refresh = `RT-issued-${issued}-${randomBytes(6).toString('hex')}`;
        tokensSeen.add(access).add(refresh);
        return { json: { access_token: access, refresh_token: refresh, token_type: 'bearer', expires_in: 86_400 } };
      });
    }
    const failed = await traceOf(
      (s) =>
        s.kind === SERVER &&
        s.attributes['url.path'] === `/connections/${id}/refresh` &&
        s.attributes['http.response.status_code'] === 409,
      'the failed refresh request span',
    );
    expect(only(failed, 'refresh').attributes).toMatchObject({ outcome: 'invalid_grant' });
    const providerCall = only(failed, 'provider.call');
    expect(providerCall.attributes).toMatchObject({ outcome: 'invalid_grant', 'http.response.status_code': 400 });
    expect(providerCall.status).toMatchObject({ code: 2, message: 'invalid_grant' });
  }, 60_000);

  it('a proxy call: one trace (request, proxy.call, the upstream call), traceparent sent upstream in place of the caller’s', async () => {
    const id = await createConnection(running!, 'otel-proxy', 86_400_000);
    // The caller's trace context: the server span continues it; upstream gets one traceparent, ours.
    const callerTrace = randomBytes(16).toString('hex');
    const callerParent = randomBytes(8).toString('hex');
    const res = await call(running!, 'GET', `/proxy/${id}/contacts?email=${QUERY_VALUE}`, {
      traceparent: `00-${callerTrace}-${callerParent}-01`,
    });
    expect(res.status).toBe(200);
    await res.text();

    const spans = await traceOf(
      (s) => s.kind === SERVER && s.attributes['url.path'] === `/proxy/${id}/contacts`,
      'the proxy request span',
    );
    const server = only(spans, 'GET /proxy/:connectionId/*');
    expect(server.traceId).toBe(callerTrace);
    expect(server.parentSpanId).toBe(callerParent);
    const proxyCall = only(spans, 'proxy.call');
    expect(proxyCall.parentSpanId).toBe(server.spanId);
    expect(proxyCall.attributes).toMatchObject({
      provider: 'keap',
      'connection.id': id,
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'proxy.attempts': 1,
      'proxy.renewed_token': false,
      outcome: '2xx',
    });
    const upstream = only(spans, 'GET', (s) => s.kind === CLIENT);
    expect(upstream.parentSpanId).toBe(proxyCall.spanId);
    expect(upstream.attributes).toMatchObject({
      'url.full': `${api.url}/crm/rest/v1/contacts`,
      'url.path': '/crm/rest/v1/contacts',
      'http.response.status_code': 200,
    });
    expect(upstream.attributes).not.toHaveProperty('url.query');
    expect(pgSpansUnder(spans, server).length).toBeGreaterThan(0);

    // The provider got one traceparent: the upstream span's, in the caller's trace.
    const seen = api.seen.find((s) => s.url === `/crm/rest/v1/contacts?email=${QUERY_VALUE}`)!;
    const traceparents = seen.rawHeaders.filter(
      (_, i) => i % 2 === 0 && seen.rawHeaders[i].toLowerCase() === 'traceparent',
    );
    expect(traceparents).toHaveLength(1);
    expect(seen.headers.traceparent).toBe(`00-${callerTrace}-${upstream.spanId}-01`);
  }, 60_000);

  it('the sweep: each refresh is a trace of its own, rooted at its refresh span', async () => {
    // Due: its access token expires within the provider's lead time (an hour).
    const id = await createConnection(running!, 'otel-sweep', 600_000);
    const spans = await traceOf(
      (s) => s.name === 'refresh' && s.attributes['connection.id'] === id,
      'the sweep’s refresh span',
    );
    const refresh = only(spans, 'refresh');
    expect(refresh.parentSpanId).toBe('');
    expect(refresh.attributes).toMatchObject({ provider: 'keap', 'refresh.trigger': 'sweep', outcome: 'refreshed' });
    expectRefreshChain(spans, refresh);
  }, 60_000);

  it('no query value, OAuth code or state, or URL token in spans: an OAuth callback and an event delivery', async () => {
    const callback = await call(running!, 'GET', `/oauth/keap/callback?code=${OAUTH_CODE}&state=${OAUTH_STATE}`);
    await callback.text();
    const spans = await traceOf(
      (s) => s.kind === SERVER && s.attributes['http.route'] === '/oauth/:provider/callback',
      'the callback request span',
    );
    expect(only(spans, 'GET /oauth/:provider/callback').attributes['url.path']).toBe('/oauth/keap/callback');

    const event = await call(running!, 'POST', `/events/keap/${EVENTS_TOKEN}`, {}, { event_key: 'contact.add' });
    expect(event.status).toBe(404);
    const eventSpans = await traceOf(
      (s) => s.kind === SERVER && s.attributes['http.route'] === '/events/:provider/:token',
      'the event request span',
    );
    const server = only(eventSpans, 'POST /events/:provider/:token');
    expect(server.attributes['url.path']).toBe('/events/keap/{token}');
    expect(server.attributes).toMatchObject({ provider: 'keap', 'http.response.status_code': 404 });
  }, 60_000);

  it('exports no token, secret, code, state, query value or URL token anywhere (the raw bodies)', async () => {
    // Whatever the other tests left in the processor's batch is exported first.
    await new Promise((r) => setTimeout(r, 500));
    const raw = receiver.rawText();
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.every((r) => r.url === '/v1/traces' && r.contentType.startsWith('application/json'))).toBe(
      true,
    );
    expect(tokensSeen.size).toBeGreaterThan(10);
    for (const secret of [...tokensSeen, QUERY_VALUE, OAUTH_CODE, OAUTH_STATE, EVENTS_TOKEN])
      expect({ secret, exported: raw.includes(secret) }).toEqual({ secret, exported: false });
    // And no header (Authorization included) as an attribute.
    expect(raw).not.toMatch(/http\.request\.header|http\.response\.header|authorization/i);
  });

  it('the SDK and its exporter are loaded (the check the untraced run relies on)', async () => {
    const loaded = await stop(running!);
    running = undefined;
    expect(loaded.some((m) => m.includes('/@opentelemetry/sdk-node/'))).toBe(true);
    expect(loaded.some((m) => m.includes('/@opentelemetry/exporter-trace-otlp-http/'))).toBe(true);
  }, 60_000);
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT unset', () => {
  it('no SDK, instrumentation or exporter is loaded, nothing is exported, log lines carry no traceId', async () => {
    const receiver = await new OtlpReceiver().start();
    // Everything but the endpoint: without it nothing starts.
    const running = await start({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'not-started',
      OTEL_EXPORTER_OTLP_HEADERS: `x-probe=${receiver.url}`,
      REFRESH_SWEEP_INTERVAL_SECONDS: '0',
    });
    let loaded: string[] = [];
    try {
      const id = await createConnection(running, 'untraced', 86_400_000);
      expect((await call(running, 'GET', `/connections/${id}/credentials?forceRefresh=true`)).status).toBe(200);
      const proxied = await call(running, 'GET', `/proxy/${id}/contacts?email=${QUERY_VALUE}`, {
        traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
      });
      expect(proxied.status).toBe(200);
      await proxied.text();
      // No traceparent of ours upstream: the caller's is passed on as it came, alone.
      const seen = api.seen.at(-1)!;
      expect(seen.rawHeaders.filter((h) => h.toLowerCase() === 'traceparent')).toHaveLength(1);
      await waitFor(
        () => logLines(running.service).some((l) => (l.req as { path?: string })?.path?.startsWith(`/proxy/${id}`)),
        'the proxy request line',
      );
      expect(logLines(running.service).filter((l) => 'traceId' in l || 'spanId' in l)).toEqual([]);
    } finally {
      loaded = await stop(running);
      await receiver.stop();
    }
    expect(loaded.length).toBeGreaterThan(100);
    expect(loaded.some((m) => m.includes(`${path.sep}src${path.sep}telemetry${path.sep}spans.ts`))).toBe(true);
    // Only the API, which prom-client's process metrics have always loaded (its no-op implementation):
    // no SDK, instrumentation or exporter.
    expect(loaded.filter((m) => m.includes('@opentelemetry') && !m.includes('/@opentelemetry/api/'))).toEqual([]);
    expect(loaded.filter((m) => m.includes(`${path.sep}telemetry${path.sep}sdk`))).toEqual([]);
    expect(receiver.requests).toEqual([]);
  }, 150_000);
});
