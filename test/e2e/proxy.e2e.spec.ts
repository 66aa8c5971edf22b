import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { ProxyService } from '../../src/proxy/proxy.service';
import { FakeProvider } from '../support/fake-provider';
import { metricSample, scrapeMetrics } from '../support/metrics';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { RawAnswer, rawRequest, rawSocketRequest } from '../support/raw-http';
import { gate, waitFor } from '../support/wait';

/** One request the API stand-in received, bytes as they came. */
interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
type ApiHandler = (req: Seen, res: http.ServerResponse) => unknown;

/**
 * A provider API over real HTTP that keeps every request's bytes and lets each test answer as it
 * likes (streams included): Keap's API base for this suite. Its token endpoint is a FakeProvider.
 */
class ApiStandIn {
  readonly seen: Seen[] = [];
  handler: ApiHandler = (_req, res) => res.writeHead(404).end();
  private server?: http.Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        this.seen.push(seen);
        Promise.resolve(this.handler(seen, res)).catch(() => res.writeHead(500).end());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));

/** What every answer of the proxy says to caches. */
const PRIVATE = 'private, no-store';
/** The names in an answer's Vary, lower-cased. */
const varyOf = (res: RawAnswer) =>
  String(res.headers.vary ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);

/** How a slow upload ended: the status, or `no answer` when the deadline came first; and when. */
interface UploadOutcome {
  status: number | 'no answer';
  ms: number;
}

/**
 * A POST that declares `declared` bytes, sends `sent` of them and then waits (the rest never comes),
 * given up at `deadlineMs`: a service that waits for the body shows as `no answer`, an assertion
 * failure, not as a jest timeout.
 */
function slowUpload(
  url: string,
  headers: Record<string, string>,
  declared: number,
  sent: number,
  deadlineMs: number,
): Promise<UploadOutcome> {
  const started = Date.now();
  return new Promise<UploadOutcome>((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/octet-stream', 'Content-Length': String(declared) },
    });
    const timer = setTimeout(() => {
      resolve({ status: 'no answer', ms: Date.now() - started });
      req.destroy();
    }, deadlineMs);
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      resolve({ status: res.statusCode ?? 0, ms: Date.now() - started });
      req.destroy();
    });
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    if (sent > 0) req.write(Buffer.alloc(sent, 1));
    else req.flushHeaders();
  });
}

describe('proxy: /proxy/{connectionId}/… to the provider API with the token injected', () => {
  const tokens = new FakeProvider();
  const api = new ApiStandIn();
  let t: TestApp;
  let refreshCount = 0;
  /** The access tokens the API stand-in accepts. */
  let accepted = new Set<string>();
  const bearerOf = (req: Seen) => String(req.headers.authorization ?? '').replace(/^Bearer /, '');

  beforeAll(async () => {
    await tokens.start();
    await api.start();
    tokens.on('POST', '/token', () => {
      refreshCount++;
      const at = `AT-refreshed-${refreshCount}`;
      accepted.add(at);
      return {
        json: { access_token: at, refresh_token: `RT-${refreshCount}`, token_type: 'bearer', expires_in: 86_400 },
      };
    });
    t = await startTestApp({ env: appEnv() });
  }, 60_000);

  /** The suite's configuration (a second replica gets the same). */
  function appEnv(): Record<string, string> {
    return {
      SANDBOX: 'false',
      KEAP_CLIENT_ID: 'cid',
      KEAP_CLIENT_SECRET: 'csecret',
      KEAP_AUTHORIZE_URL: `${tokens.url}/authorize`,
      KEAP_TOKEN_URL: `${tokens.url}/token`,
      KEAP_API_BASE_URL: `${api.url}/crm/rest/v1`,
      // Webflow's API is somewhere nothing listens.
      WEBFLOW_CLIENT_ID: 'wid',
      WEBFLOW_CLIENT_SECRET: 'wsecret',
      WEBFLOW_API_BASE_URL: 'http://127.0.0.1:9/v2',
      // Events are written to the outbox (not sent: the dispatcher is off).
      WEBHOOK_URL: 'https://receiver.example/hooks',
      WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
      WEBHOOK_DISPATCH_INTERVAL_MS: '0',
      PROXY_MAX_BODY_BYTES: String(300 * 1024),
      PROXY_TIMEOUT_MS: '1000',
      HTTP_TIMEOUT_MS: '2000',
    };
  }
  afterAll(async () => {
    await t?.close();
    await api.stop();
    await tokens.stop();
  });
  beforeEach(() => {
    api.seen.length = 0;
    tokens.requests.length = 0;
    accepted = new Set(['AT-initial']);
    api.handler = (req, res) =>
      accepted.has(bearerOf(req))
        ? json(res, 200, { ok: true, url: req.url })
        : json(res, 401, { message: 'Invalid Access Token' });
  });

  async function connection(ownerId: string, refreshable = true, provider = 'keap'): Promise<string> {
    const res = await t.api
      .post('/connections')
      .send({
        provider,
        ownerId,
        accountId: ownerId,
        accessToken: 'AT-initial',
        ...(refreshable && { refreshToken: 'RT-initial' }),
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      })
      .expect(201);
    return res.body.id as string;
  }

  describe('requests and answers', () => {
    it('GET: path and query under the API base, the token as Bearer, the answer byte for byte', async () => {
      const id = await connection('get-1');
      const body = '{"contacts":[{"id":1,"name":"Zoë"}],  "count":1}\n';
      api.handler = (_req, res) => res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(body);
      const res = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts?limit=2&email=a%40b.c`, {
        Authorization: `Bearer ${TEST_API_KEY}`,
      });
      expect(res.status).toBe(200);
      expect(res.text).toBe(body);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(api.seen).toHaveLength(1);
      expect(api.seen[0]).toMatchObject({ method: 'GET', url: '/crm/rest/v1/contacts?limit=2&email=a%40b.c' });
      expect(api.seen[0].headers.authorization).toBe('Bearer AT-initial');
    });

    it('POST, PUT, PATCH, DELETE: bodies byte for byte (JSON as sent, and other types), methods as sent', async () => {
      const id = await connection('methods-1');
      api.handler = (req, res) =>
        res
          .writeHead(201, { 'Content-Type': 'application/octet-stream' })
          .end(Buffer.concat([Buffer.from(`${req.method}:`), req.body]));
      const jsonBody = '{ "given_name" : "Zoë",\n "tags":[1,2,3], "__proto__": {"x": 1} }';
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const res = await rawRequest(
          t.baseUrl,
          method,
          `/proxy/${id}/contacts/7`,
          {
            Authorization: `Bearer ${TEST_API_KEY}`,
            'Content-Type': 'application/json',
            // (node:http sends a DELETE body without a length otherwise)
            'Content-Length': String(Buffer.byteLength(jsonBody)),
          },
          jsonBody,
        );
        expect([method, res.status, res.text]).toEqual([method, 201, `${method}:${jsonBody}`]);
      }
      const binary = Buffer.from([0, 255, 1, 254, 0x7b, 0x0a]);
      const csv = await rawRequest(
        t.baseUrl,
        'POST',
        `/proxy/${id}/files`,
        { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/octet-stream' },
        binary,
      );
      expect(csv.status).toBe(201);
      expect(api.seen.at(-1)!.body.equals(binary)).toBe(true);
      expect(api.seen.at(-1)!.headers['content-type']).toBe('application/octet-stream');
      expect(api.seen.map((s) => s.method)).toEqual(['POST', 'PUT', 'PATCH', 'DELETE', 'POST']);
    });

    it('HEAD goes upstream as HEAD', async () => {
      const id = await connection('head-1');
      api.handler = (_req, res) => res.writeHead(200, { 'Content-Type': 'application/json', 'X-Total': '42' }).end();
      const res = await rawRequest(t.baseUrl, 'HEAD', `/proxy/${id}/contacts`, {
        Authorization: `Bearer ${TEST_API_KEY}`,
      });
      expect(res.status).toBe(200);
      expect(res.headers['x-total']).toBe('42');
      expect(api.seen.map((s) => s.method)).toEqual(['HEAD']);
    });

    it('headers: credentials, cookies, Host, X-Forwarded-* and hop-by-hop headers stay here; the rest go; X-Request-Id goes and comes back', async () => {
      const id = await connection('headers-1');
      api.handler = (_req, res) =>
        res
          .writeHead(200, {
            'Content-Type': 'application/json',
            'Set-Cookie': 'session=provider-session; HttpOnly',
            'Retry-After': '7',
            'X-RateLimit-Remaining': '12',
            'X-Custom': 'kept',
            Connection: 'close, X-Hop',
            'X-Hop': 'hop-by-hop',
            'Content-Security-Policy': 'default-src *',
            'X-Request-Id': 'upstream-id',
          })
          .end('{}');
      const res = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, {
        Authorization: `Bearer ${TEST_API_KEY}`,
        Cookie: 'console=secret-cookie',
        'X-Forwarded-For': '10.0.0.1',
        'X-Forwarded-Host': 'evil.example',
        Forwarded: 'for=10.0.0.1',
        Connection: 'keep-alive, X-Drop-Me',
        'X-Drop-Me': 'listed in Connection',
        'Proxy-Authorization': 'Basic eA==',
        'Proxy-Retries': '0',
        Accept: 'application/json',
        'Idempotency-Key': 'idem-1',
        'User-Agent': 'backend/1.0',
        'X-Request-Id': 'trace-proxy-1',
      });
      expect(res.status).toBe(200);
      const sent = api.seen[0].headers;
      expect(sent.authorization).toBe('Bearer AT-initial');
      expect(sent.host).toBe(new URL(api.url).host);
      for (const name of [
        'cookie',
        'x-forwarded-for',
        'x-forwarded-host',
        'forwarded',
        'x-drop-me',
        'proxy-authorization',
        'proxy-retries',
      ])
        expect([name, sent[name]]).toEqual([name, undefined]);
      expect(JSON.stringify(sent)).not.toContain(TEST_API_KEY);
      expect(sent).toMatchObject({
        accept: 'application/json',
        'idempotency-key': 'idem-1',
        'user-agent': 'backend/1.0',
      });
      expect(sent['x-request-id']).toBe('trace-proxy-1');
      // Back: rate-limit headers and the rest, not cookies, hop-by-hop headers or what the service sets itself.
      expect(res.headers).toMatchObject({ 'retry-after': '7', 'x-ratelimit-remaining': '12', 'x-custom': 'kept' });
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers['x-hop']).toBeUndefined();
      expect(res.headers['x-request-id']).toBe('trace-proxy-1');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    });

    it('does not follow redirects: a 3xx comes back as it is', async () => {
      const id = await connection('redirect-1');
      api.handler = (_req, res) => res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data' }).end();
      const res = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, {
        Authorization: `Bearer ${TEST_API_KEY}`,
      });
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('http://169.254.169.254/latest/meta-data');
      expect(api.seen).toHaveLength(1);
    });

    it('streams a large answer: while the caller reads nothing, the provider gets only as far as the buffers between them', async () => {
      const id = await connection('stream-1');
      // More than the kernel's socket buffers on both connections can hold (tcp_rmem/wmem: tens of MB here).
      const total = 200 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024, 7);
      let written = 0;
      api.handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(total) });
        new Readable({
          read() {
            if (written >= total) return this.push(null);
            written += chunk.length;
            this.push(chunk);
          },
        }).pipe(res);
      };
      let received = 0;
      let writtenAtFirstByte = -1;
      let writtenWhileStalled = -1;
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.get(
          `${t.baseUrl}/proxy/${id}/export`,
          { headers: { Authorization: `Bearer ${TEST_API_KEY}` } },
          (res) => {
            res.on('data', (c: Buffer) => {
              if (writtenAtFirstByte < 0) writtenAtFirstByte = written;
              received += c.length;
              if (writtenWhileStalled < 0 && received >= 1024 * 1024 && !res.isPaused()) {
                // The caller stops reading for a while (under PROXY_TIMEOUT_MS, the longest silence the
                // service waits through): the provider can only fill the buffers in between.
                res.pause();
                setTimeout(() => {
                  writtenWhileStalled = written;
                  res.resume();
                }, 500);
              }
            });
            res.on('end', () => resolve(res.statusCode ?? 0));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
      });
      expect(status).toBe(200);
      expect(received).toBe(total);
      // A proxy that buffered the answer would send its first byte only once the provider had written it all,
      // and would have read it all while the caller waited.
      expect(writtenAtFirstByte).toBeLessThan(total / 4);
      expect(writtenWhileStalled).toBeGreaterThan(0);
      expect(writtenWhileStalled).toBeLessThan(total * 0.6);
    }, 60_000);
  });

  describe('a 401 from the provider', () => {
    it('renews the token once and replays the call (same body) with the new token', async () => {
      const id = await connection('renew-1');
      accepted = new Set();
      const res = await rawRequest(
        t.baseUrl,
        'POST',
        `/proxy/${id}/contacts`,
        { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
        '{"a":1}',
      );
      expect(res.status).toBe(200);
      expect(tokens.requestsTo('/token')).toHaveLength(1);
      expect(api.seen.map((s) => [bearerOf(s), s.body.toString()])).toEqual([
        ['AT-initial', '{"a":1}'],
        [`AT-refreshed-${refreshCount}`, '{"a":1}'],
      ]);
      const creds = await t.api.get(`/connections/${id}/credentials`).expect(200);
      expect(creds.body.accessToken).toBe(`AT-refreshed-${refreshCount}`);
    });

    it('concurrent 401s on one connection cause one refresh', async () => {
      const id = await connection('renew-many');
      accepted = new Set();
      const held = gate();
      tokens.on('POST', '/token', async () => {
        await held.promise;
        refreshCount++;
        accepted.add(`AT-refreshed-${refreshCount}`);
        return {
          json: {
            access_token: `AT-refreshed-${refreshCount}`,
            refresh_token: `RT-${refreshCount}`,
            expires_in: 86_400,
          },
        };
      });
      const calls = Array.from({ length: 6 }, () =>
        rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, { Authorization: `Bearer ${TEST_API_KEY}` }),
      );
      await waitFor(() => api.seen.length === 6, 'six first attempts');
      await tokens.waitForRequests('/token', 1);
      held.release();
      const answers = await Promise.all(calls);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(tokens.requestsTo('/token')).toHaveLength(1);
    });

    it('a renewal that fails is 502, and the refused token is not sent again', async () => {
      const id = await connection('renew-fails');
      accepted = new Set();
      tokens.on('POST', '/token', { status: 500, json: { error: 'server_error' } });
      try {
        const res = await t.api.get(`/proxy/${id}/contacts`).expect(502);
        expect(res.body.code).toBe('provider_unavailable');
        expect(res.headers['proxy-status']).toBeUndefined();
        expect(api.seen).toHaveLength(1);
      } finally {
        tokens.on('POST', '/token', () => {
          refreshCount++;
          accepted.add(`AT-refreshed-${refreshCount}`);
          return {
            json: {
              access_token: `AT-refreshed-${refreshCount}`,
              refresh_token: `RT-${refreshCount}`,
              expires_in: 86_400,
            },
          };
        });
      }
    });

    it('a second 401 goes back to the caller as it is', async () => {
      const id = await connection('renew-twice');
      api.handler = (req, res) => json(res, 401, { message: `no ${bearerOf(req)}` }, { 'WWW-Authenticate': 'Bearer' });
      const res = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, {
        Authorization: `Bearer ${TEST_API_KEY}`,
      });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: `no AT-refreshed-${refreshCount}` });
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(api.seen).toHaveLength(2);
      expect(tokens.requestsTo('/token')).toHaveLength(1);
    });

    it('a connection without a refresh token is verified instead; a failed verify marks it needs_reauth and sends its event', async () => {
      const id = await connection('no-refresh', false);
      accepted = new Set();
      const res = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, {
        Authorization: `Bearer ${TEST_API_KEY}`,
      });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: 'Invalid Access Token' });
      expect(tokens.requestsTo('/token')).toHaveLength(0);
      // The whoami call (Keap's userinfo) answered 401 too.
      expect(api.seen.map((s) => s.url)).toEqual(['/crm/rest/v1/contacts', '/crm/rest/v1/oauth/connect/userinfo']);
      const after = await t.api.get(`/connections/${id}`).expect(200);
      expect(after.body.status).toBe('needs_reauth');
      const events = await t.dataSource.query(
        `SELECT event_type FROM webhook_deliveries WHERE connection_id = $1 ORDER BY created_at`,
        [id],
      );
      expect(events.map((e: { event_type: string }) => e.event_type)).toContain('connection.needs_reauth');
      // From now on: 409 without a call to the provider.
      api.seen.length = 0;
      const refused = await t.api.get(`/proxy/${id}/contacts`).expect(409);
      expect(refused.body.code).toBe('connection_needs_reauth');
      expect(api.seen).toHaveLength(0);
    });
  });

  it('concurrent 401s on a connection without a refresh token make one whoami call', async () => {
    const id = await connection('no-refresh-many', false);
    accepted = new Set();
    const held = gate();
    api.handler = async (req, res) => {
      // The whoami call is held until every first attempt has come back 401.
      if (req.url.endsWith('/oauth/connect/userinfo')) await held.promise;
      json(res, 401, { message: 'Invalid Access Token' });
    };
    // Each call that got a 401 asks for the connection's whoami check (ProxyService.verifyOnce, private:
    // watched here, not changed), which starts the check or joins the one in flight.
    const proxy = t.app.get<ProxyService, { verifyOnce(id: string): unknown }>(ProxyService);
    const checks = jest.spyOn(proxy, 'verifyOnce');
    try {
      const calls = Array.from({ length: 5 }, () =>
        rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, { Authorization: `Bearer ${TEST_API_KEY}` }),
      );
      // All five 401s have reached the service and asked while the one whoami call is held: the answer
      // is released only then, so no call can come late and start a second one (the order is forced).
      await waitFor(() => checks.mock.calls.length === 5, 'five calls asking for the whoami check');
      expect(checks.mock.calls.every(([asked]) => asked === id)).toBe(true);
      await waitFor(() => api.seen.some((s) => s.url.endsWith('/userinfo')), 'the whoami call');
      held.release();
      expect((await Promise.all(calls)).map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
      expect(api.seen.filter((s) => s.url.endsWith('/contacts'))).toHaveLength(5);
      expect(api.seen.filter((s) => s.url.endsWith('/userinfo'))).toHaveLength(1);
      expect((await t.api.get(`/connections/${id}`).expect(200)).body.status).toBe('needs_reauth');
    } finally {
      checks.mockRestore();
    }
  });

  describe('caches: every answer is private to its caller', () => {
    const LAST_MODIFIED = 'Wed, 01 Jan 2025 10:00:00 GMT';
    const auth = { Authorization: `Bearer ${TEST_API_KEY}` };

    it('a provider answer with Cache-Control: public, max-age=3600 comes back private, no-store, with Vary: Authorization; ETag and Last-Modified kept, conditional requests work', async () => {
      const id = await connection('cache-1');
      api.handler = (req, res) => {
        const caching = {
          'Cache-Control': 'public, max-age=3600',
          ETag: '"contacts-v1"',
          'Last-Modified': LAST_MODIFIED,
          Vary: 'Accept-Encoding',
          Expires: 'Thu, 01 Jan 2099 00:00:00 GMT',
          'CDN-Cache-Control': 'max-age=3600',
          'Surrogate-Control': 'max-age=3600',
        };
        if (req.headers['if-none-match'] === '"contacts-v1"') return res.writeHead(304, caching).end();
        json(res, 200, { contacts: [] }, caching);
      };
      for (const method of ['GET', 'HEAD']) {
        const res = await rawRequest(t.baseUrl, method, `/proxy/${id}/contacts`, auth);
        expect([method, res.status]).toEqual([method, 200]);
        expect(res.headers['cache-control']).toBe(PRIVATE);
        expect(varyOf(res)).toEqual(['accept-encoding', 'authorization']);
        expect(res.headers.etag).toBe('"contacts-v1"');
        expect(res.headers['last-modified']).toBe(LAST_MODIFIED);
        // What would let a cache keep it anyway: a CDN obeys CDN-Cache-Control before Cache-Control.
        for (const name of ['expires', 'cdn-cache-control', 'surrogate-control'])
          expect([method, name, res.headers[name]]).toEqual([method, name, undefined]);
      }
      const notModified = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, {
        ...auth,
        'If-None-Match': '"contacts-v1"',
      });
      expect(notModified.status).toBe(304);
      expect(notModified.headers['cache-control']).toBe(PRIVATE);
      expect(varyOf(notModified)).toContain('authorization');
      expect(notModified.headers.etag).toBe('"contacts-v1"');
      expect(api.seen.at(-1)!.headers['if-none-match']).toBe('"contacts-v1"');
    });

    it('an answer without caching headers, a 401 that goes back, a streamed error: all private, Vary: Authorization', async () => {
      const id = await connection('cache-2');
      api.handler = (_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('plain');
      const plain = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/x`, auth);
      expect([plain.status, plain.headers['cache-control'], varyOf(plain)]).toEqual([200, PRIVATE, ['authorization']]);
      api.handler = (_req, res) => json(res, 500, { message: 'boom' }, { 'Cache-Control': 'public, max-age=60' });
      const failed = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/x`, auth);
      expect([failed.status, failed.headers['cache-control'], varyOf(failed)]).toEqual([
        500,
        PRIVATE,
        ['authorization'],
      ]);
      api.handler = (_req, res) => json(res, 401, { message: 'no' }, { 'Cache-Control': 'public, max-age=60' });
      const refused = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/x`, auth);
      expect([refused.status, refused.headers['cache-control'], varyOf(refused)]).toEqual([
        401,
        PRIVATE,
        ['authorization'],
      ]);
    });

    it("the service's own answers on the proxy route are private too: no key, wrong scope, bad path, bad id, unknown connection, unreachable provider", async () => {
      const id = await connection('cache-3');
      const webflow = await connection('cache-3-webflow', true, 'webflow');
      const reader = (
        await t.api
          .post('/api-keys')
          .send({ name: 'cache-reader', scopes: ['metrics'] })
          .expect(201)
      ).body.key as string;
      const answers: [string, number, RawAnswer][] = [
        ['no key', 401, await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`)],
        [
          'wrong scope',
          403,
          await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, { Authorization: `Bearer ${reader}` }),
        ],
        ['bad path', 400, await rawSocketRequest(t.baseUrl, 'GET', `/proxy/${id}/%2e%2e/x`, auth)],
        ['bad id', 400, await rawRequest(t.baseUrl, 'GET', '/proxy/not-a-uuid/contacts', auth)],
        [
          'unknown connection',
          404,
          await rawRequest(t.baseUrl, 'GET', '/proxy/00000000-0000-4000-8000-000000000000/contacts', auth),
        ],
        ['unreachable', 502, await rawRequest(t.baseUrl, 'GET', `/proxy/${webflow}/sites`, auth)],
      ];
      for (const [what, status, res] of answers)
        expect([what, res.status, res.headers['cache-control'], varyOf(res)]).toEqual([
          what,
          status,
          PRIVATE,
          ['authorization'],
        ]);
      expect(api.seen).toHaveLength(0);
    });
  });

  describe("the provider's headers that speak for the service's origin, set cookies, are hop-by-hop or would make a server in front act never come back", () => {
    it.each([
      ['Strict-Transport-Security', 'max-age=31536001; includeSubDomains; preload'],
      ['Alt-Svc', 'h3=":4433"; ma=86401'],
      ['Clear-Site-Data', '"cache", "cookies", "storage", "executionContexts"'],
      ['Access-Control-Allow-Origin', 'https://provider-origin.example'],
      ['Access-Control-Allow-Credentials', 'true'],
      ['Access-Control-Allow-Methods', 'GET, POST, DELETE'],
      ['Access-Control-Allow-Headers', 'X-Provider-Header'],
      ['Access-Control-Expose-Headers', 'X-Provider-Secret'],
      ['Access-Control-Max-Age', '86401'],
      ['Set-Cookie', 'provider_session=abc; HttpOnly; Path=/'],
      ['Proxy-Authenticate', 'Basic realm="provider-realm"'],
      ['Cache-Control', 'public, max-age=3601'],
      ['Expires', 'Thu, 01 Jan 2099 00:00:00 GMT'],
      ['CDN-Cache-Control', 'max-age=3601'],
      ['Cloudflare-CDN-Cache-Control', 'max-age=3601'],
      ['Surrogate-Control', 'max-age=3601'],
      ['X-Accel-Expires', '3601'],
      ['X-Accel-Redirect', '/internal/provider-secrets'],
      ['X-Sendfile', '/etc/provider-secrets'],
    ])('%s', async (name, value) => {
      const id = await connection(`stripped-${name}`);
      api.handler = (_req, res) => json(res, 200, { ok: true }, { [name]: value, 'X-Kept': 'yes' });
      const res = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, {
        Authorization: `Bearer ${TEST_API_KEY}`,
      });
      expect(res.status).toBe(200);
      expect(res.headers['x-kept']).toBe('yes');
      // The service may set a header of that name itself (Cache-Control), never the provider's value. (Keep-Alive
      // and the other hop-by-hop headers: Node sets its own on this connection, so the unit tests check those.)
      expect(JSON.stringify(res.headers[name.toLowerCase()] ?? null)).not.toContain(JSON.stringify(value).slice(1, -1));
    });
  });

  describe('renewals after 401s: at most one per connection per PROXY_RENEW_MIN_INTERVAL_SECONDS (30 s here)', () => {
    const auth = { Authorization: `Bearer ${TEST_API_KEY}` };
    const get = (id: string) => rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, auth);
    /** The provider refuses every token. */
    const refuseAll = () =>
      (api.handler = (req, res) =>
        json(
          res,
          401,
          { message: `refused ${bearerOf(req)}` },
          { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
        ));
    const storedToken = async (id: string) =>
      (await t.api.get(`/connections/${id}/credentials`).expect(200)).body.accessToken as string;
    /** As if the window had passed since the stored token was renewed. */
    const windowPassed = (id: string) =>
      t.dataSource.query(
        `UPDATE connections SET last_refreshed_at = last_refreshed_at - interval '31 seconds' WHERE id = $1`,
        [id],
      );

    it('20 calls answered 401 at once, then 20 one after another: one refresh per connection; within the window the 401 comes back as it is, not replayed', async () => {
      const a = await connection('window-a');
      const b = await connection('window-b');
      refuseAll();
      const together = await Promise.all([
        ...Array.from({ length: 20 }, () => get(a)),
        ...Array.from({ length: 20 }, () => get(b)),
      ]);
      expect(together.map((r) => r.status)).toEqual(Array(40).fill(401));
      expect(tokens.requestsTo('/token')).toHaveLength(2);
      const renewedA = await storedToken(a);
      expect(renewedA).toMatch(/^AT-refreshed-/);
      api.seen.length = 0;
      for (let i = 0; i < 20; i++) {
        const res = await get(a);
        expect([i, res.status, res.body, res.headers['www-authenticate']]).toEqual([
          i,
          401,
          { message: `refused ${renewedA}` },
          'Bearer error="invalid_token"',
        ]);
      }
      // Each call sent once, with the stored token: no replay, no refresh.
      expect(api.seen.map(bearerOf)).toEqual(Array(20).fill(renewedA));
      expect(tokens.requestsTo('/token')).toHaveLength(2);
      const line = t.logs.entries().findLast((e) => e.msg === 'proxy call')!;
      expect(line.proxy).toMatchObject({ status: 401, attempts: 1, renewedToken: false, renewWithheld: true });
    });

    it('once the window has passed, a 401 renews again, once', async () => {
      const id = await connection('window-passed');
      refuseAll();
      await get(id);
      expect(tokens.requestsTo('/token')).toHaveLength(1);
      await windowPassed(id);
      for (let i = 0; i < 5; i++) expect((await get(id)).status).toBe(401);
      expect(tokens.requestsTo('/token')).toHaveLength(2);
    });

    it('within the window, a call that began before a renewal finished is replayed with the newer token, without a refresh of its own', async () => {
      const id = await connection('window-newer');
      accepted = new Set();
      const heldB = gate();
      // B's first attempt is answered (401) only after A's 401 has renewed the token and A is done.
      api.handler = async (req, res) => {
        if (req.headers['x-call'] === 'b' && bearerOf(req) === 'AT-initial') await heldB.promise;
        if (accepted.has(bearerOf(req))) json(res, 200, { ok: true, call: req.headers['x-call'] });
        else json(res, 401, { message: 'Invalid Access Token' });
      };
      const b = rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, { ...auth, 'X-Call': 'b' });
      await waitFor(() => api.seen.length === 1, "B's first attempt");
      const a = await rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, { ...auth, 'X-Call': 'a' });
      expect([a.status, a.body]).toEqual([200, { ok: true, call: 'a' }]);
      heldB.release();
      expect([(await b).status, (await b).body]).toEqual([200, { ok: true, call: 'b' }]);
      expect(tokens.requestsTo('/token')).toHaveLength(1);
      const renewed = await storedToken(id);
      expect(api.seen.map((s) => [s.headers['x-call'], bearerOf(s)])).toEqual([
        ['b', 'AT-initial'],
        ['a', 'AT-initial'],
        ['a', renewed],
        ['b', renewed],
      ]);
    });

    it('a refresh by another path (the sweep, a forced refresh) counts: a 401 right after it goes back as it is', async () => {
      const id = await connection('window-forced');
      await t.api.post(`/connections/${id}/refresh`).expect(200);
      expect(tokens.requestsTo('/token')).toHaveLength(1);
      refuseAll();
      const res = await get(id);
      expect(res.status).toBe(401);
      expect(tokens.requestsTo('/token')).toHaveLength(1);
      expect(api.seen).toHaveLength(1);
    });

    describe('across replicas', () => {
      let second: TestApp;
      beforeAll(async () => {
        second = await startTestApp({ databaseUrl: t.databaseUrl, env: appEnv() });
      }, 60_000);
      afterAll(() => second?.close());

      it('20 calls answered 401, one after another on two replicas by turns: one refresh in all (the window is read from the database)', async () => {
        const id = await connection('window-replicas');
        refuseAll();
        for (let i = 0; i < 20; i++) {
          const replica = i % 2 === 0 ? t : second;
          const res = await rawRequest(replica.baseUrl, 'GET', `/proxy/${id}/contacts`, auth);
          expect([i, res.status]).toEqual([i, 401]);
        }
        expect(tokens.requestsTo('/token')).toHaveLength(1);
        // And at once on both: no more.
        const both = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            rawRequest((i % 2 === 0 ? t : second).baseUrl, 'GET', `/proxy/${id}/contacts`, auth),
          ),
        );
        expect(both.map((r) => r.status)).toEqual(Array(20).fill(401));
        expect(tokens.requestsTo('/token')).toHaveLength(1);
      });
    });
  });

  describe('429 and 5xx', () => {
    it('come back as they are, Retry-After included, when no retry is asked for', async () => {
      const id = await connection('limits-1');
      api.handler = (_req, res) => json(res, 429, { message: 'slow down' }, { 'Retry-After': '3' });
      const limited = await t.api.get(`/proxy/${id}/contacts`).expect(429);
      expect(limited.headers['retry-after']).toBe('3');
      expect(limited.body).toEqual({ message: 'slow down' });
      api.handler = (_req, res) => json(res, 503, { message: 'down' });
      await t.api.get(`/proxy/${id}/contacts`).expect(503);
      expect(api.seen).toHaveLength(2);
    });

    it('Proxy-Retries: an idempotent call is retried after Retry-After; a POST without Idempotency-Key is not', async () => {
      const id = await connection('limits-2');
      let calls = 0;
      api.handler = (_req, res) =>
        ++calls === 1 ? json(res, 429, { message: 'slow down' }, { 'Retry-After': '1' }) : json(res, 200, { calls });
      const started = Date.now();
      const res = await t.api.get(`/proxy/${id}/contacts`).set('Proxy-Retries', '2').expect(200);
      expect(res.body).toEqual({ calls: 2 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      calls = 0;
      await t.api.post(`/proxy/${id}/contacts`).set('Proxy-Retries', '2').send({ a: 1 }).expect(429);
      calls = 0;
      await t.api
        .post(`/proxy/${id}/contacts`)
        .set('Proxy-Retries', '2')
        .set('Idempotency-Key', 'k-1')
        .send({ a: 1 })
        .expect(200);
      calls = 0;
      api.handler = (_req, res) => json(res, 500, { calls: ++calls });
      const failing = await t.api.get(`/proxy/${id}/contacts`).set('Proxy-Retries', '2').expect(500);
      expect(failing.body).toEqual({ calls: 3 });
    });

    it('a Retry-After beyond the 30 s budget is not waited for', async () => {
      const id = await connection('limits-3');
      api.handler = (_req, res) => json(res, 429, {}, { 'Retry-After': '120' });
      const started = Date.now();
      await t.api.get(`/proxy/${id}/contacts`).set('Proxy-Retries', '5').expect(429);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(api.seen).toHaveLength(1);
    });

    it.each(['6', '-1', 'two', '1.5'])('Proxy-Retries: %s is 400 validation_failed', async (value) => {
      const id = await connection(`limits-bad-${value}`);
      const res = await t.api.get(`/proxy/${id}/contacts`).set('Proxy-Retries', value).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(api.seen).toHaveLength(0);
    });
  });

  describe('what is refused', () => {
    it.each([
      ['..', '/../connections'],
      ['.. percent-encoded', '/%2e%2e/connections'],
      ['.. mixed', '/.%2E/connections'],
      ['.. encoded twice', '/%252e%252e/connections'],
      ['.', '/./contacts'],
      ['//', '//contacts'],
      ['// inside', '/contacts//7'],
      ['an absolute URL', '/http://evil.example/x'],
      ['a backslash', '/contacts\\..\\x'],
      ['an encoded backslash', '/contacts%5c..%5cx'],
      ['an encoded slash', '/contacts%2f..%2fx'],
      ['bad percent-encoding', '/contacts%zz'],
      ['..; (servlet path parameters)', '/..;/connections'],
      ['an encoded NUL', '/contacts%00'],
      ['encoded CR LF', '/contacts%0d%0aX-Injected:%201'],
      ['a fragment', '/contacts%23x#y'],
    ])('%s: 400 invalid_proxy_path, and no call', async (_what, path) => {
      const id = await connection(`unsafe-${_what}`);
      const res = await rawSocketRequest(t.baseUrl, 'GET', `/proxy/${id}${path}`, {
        Authorization: `Bearer ${TEST_API_KEY}`,
      });
      expect(res.status).toBe(400);
      // The router itself refuses a URL it cannot decode; every other case is the proxy's own check.
      expect(res.body.code).toBe(path.includes('%zz') ? 'validation_failed' : 'invalid_proxy_path');
      expect(api.seen).toHaveLength(0);
    });

    it('a body over PROXY_MAX_BODY_BYTES: 413 payload_too_large; one over the API limit but under it passes', async () => {
      const id = await connection('big-body');
      api.handler = (req, res) => json(res, 200, { bytes: req.body.length });
      const ok = await t.api
        .post(`/proxy/${id}/files`)
        .set('Content-Type', 'application/octet-stream')
        .send(Buffer.alloc(200 * 1024, 1))
        .expect(200);
      expect(ok.body).toEqual({ bytes: 200 * 1024 });
      const big = await t.api
        .post(`/proxy/${id}/files`)
        .set('Content-Type', 'application/octet-stream')
        .send(Buffer.alloc(301 * 1024, 1))
        .expect(413);
      expect(big.body.code).toBe('payload_too_large');
      expect(api.seen).toHaveLength(1);
    });

    it('a trailing slash is part of the path', async () => {
      const id = await connection('trailing-1');
      await t.api.get(`/proxy/${id}/contacts/`).expect(200);
      expect(api.seen.map((s) => s.url)).toEqual(['/crm/rest/v1/contacts/']);
    });

    describe('a large body is refused before it is read, within a deadline', () => {
      /** The answer must come within this while the rest of the body was never sent. */
      const DEADLINE_MS = 2000;
      let wrongScopeKey = '';
      beforeAll(async () => {
        wrongScopeKey = (
          await t.api
            .post('/api-keys')
            .send({ name: 'no-proxy-scope', scopes: ['credentials:read', 'connections:write'] })
            .expect(201)
        ).body.key as string;
      });

      it.each([
        // Declared under PROXY_MAX_BODY_BYTES (300 kB here): a service that read it first would wait for the rest.
        ['no API key, 250 kB declared, 64 kB sent', 'none', 250 * 1024, 64 * 1024, 401],
        ['a key without the proxy scope, 250 kB declared, 64 kB sent', 'wrong-scope', 250 * 1024, 64 * 1024, 403],
        ['a key without the proxy scope, 5 MB declared, nothing sent', 'wrong-scope', 5 * 1024 * 1024, 0, 403],
        ['a key without the proxy scope, 5 MB declared, 1 MB sent', 'wrong-scope', 5 * 1024 * 1024, 1024 * 1024, 403],
      ] as const)('%s', async (_what, key, declared, sent, expected) => {
        const id = await connection(`early-${key}-${declared}-${sent}`);
        const headers: Record<string, string> = key === 'none' ? {} : { Authorization: `Bearer ${wrongScopeKey}` };
        const outcome = await slowUpload(`${t.baseUrl}/proxy/${id}/files`, headers, declared, sent, DEADLINE_MS);
        expect(outcome.status).toBe(expected);
        expect(outcome.ms).toBeLessThan(DEADLINE_MS);
        expect(api.seen).toHaveLength(0);
      });
    });

    it('a malformed connection id is 400, an unknown one 404, both without a call', async () => {
      expect((await t.api.get('/proxy/not-a-uuid/contacts').expect(400)).body.code).toBe('validation_failed');
      const unknown = await t.api.get('/proxy/00000000-0000-4000-8000-000000000000/contacts').expect(404);
      expect(unknown.body.code).toBe('connection_not_found');
      expect(api.seen).toHaveLength(0);
    });

    it('needs the proxy scope', async () => {
      const id = await connection('scope-1');
      const reader = await t.api
        .post('/api-keys')
        .send({ name: 'creds-only', scopes: ['credentials:read'] })
        .expect(201);
      const refused = await t.anon
        .get(`/proxy/${id}/contacts`)
        .set('Authorization', `Bearer ${reader.body.key}`)
        .expect(403);
      expect(refused.body.requiredScope).toBe('proxy');
      const proxyKey = await t.api
        .post('/api-keys')
        .send({ name: 'proxy-only', scopes: ['proxy'] })
        .expect(201);
      await t.anon.get(`/proxy/${id}/contacts`).set('Authorization', `Bearer ${proxyKey.body.key}`).expect(200);
      await t.anon.get(`/proxy/${id}/contacts`).expect(401);
      expect(api.seen).toHaveLength(1);
    });
  });

  describe('a provider that does not answer', () => {
    it('times out after PROXY_TIMEOUT_MS: 504 upstream_timeout', async () => {
      const id = await connection('slow-1');
      const held = gate();
      api.handler = async (_req, res) => {
        await held.promise;
        json(res, 200, {});
      };
      const res = await t.api.get(`/proxy/${id}/contacts`).expect(504);
      expect(res.body.code).toBe('upstream_timeout');
      held.release();
    });

    it('cannot be reached: 502 provider_unavailable', async () => {
      const id = await connection('down-1', true, 'webflow');
      const res = await t.api.get(`/proxy/${id}/sites`).expect(502);
      expect(res.body.code).toBe('provider_unavailable');
    });
  });

  it('logs one line per call (method, provider, connection, path, status, duration), never a token or query value; counts calls per provider and status', async () => {
    const id = await connection('observed-1');
    await t.api.get(`/proxy/${id}/contacts?email=secret-query-value`).set('X-Request-Id', 'proxy-log-1').expect(200);
    await waitFor(
      () => t.logs.entries().some((e) => e.msg === 'proxy call' && (e.req as { id?: string })?.id === 'proxy-log-1'),
      'proxy log line',
    );
    const line = t.logs
      .entries()
      .find((e) => e.msg === 'proxy call' && (e.req as { id?: string })?.id === 'proxy-log-1')!;
    expect(line.proxy).toEqual({
      method: 'GET',
      provider: 'keap',
      connectionId: id,
      path: '/crm/rest/v1/contacts',
      status: 200,
      attempts: 1,
      renewedToken: false,
      durationMs: expect.any(Number),
    });
    expect(t.logs.text).not.toContain('secret-query-value');
    expect(t.logs.text).not.toContain('AT-initial');
    expect(t.logs.text).not.toContain('AT-refreshed');
    const metrics = await scrapeMetrics(t);
    expect(
      metricSample(metrics, 'proxy_request_duration_seconds_count', { provider: 'keap', status: '200' }),
    ).toBeGreaterThan(0);
  });
});
