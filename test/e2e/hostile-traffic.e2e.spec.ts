import * as http from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { FakeProvider } from '../support/fake-provider';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { consoleSignIn } from '../support/console';
import { rawRequest } from '../support/raw-http';
import { waitFor, within } from '../support/wait';

const KEY = { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' };

/** JSON nested `depth` levels deep: [[[…]]] inside an object's field. */
const nested = (depth: number, field = 'metadata') =>
  `{"provider":"keap","ownerId":"o","${field}":${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}}`;

/** What arrives on a raw socket until the server closes it, and how long that took. */
interface SocketAnswer {
  text: string;
  closedAfterMs: number;
}

/**
 * Writes `head` on a TCP socket, then each of `trickle` one at a time every `everyMs`, until the server
 * closes the connection: what it answered and when it closed.
 */
function socketExchange(baseUrl: string, head: string, trickle: string[] = [], everyMs = 300): Promise<SocketAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      const pending = [...trickle];
      timer = setInterval(() => {
        const next = pending.shift();
        if (next !== undefined && socket.writable) socket.write(next);
      }, everyMs);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ text: Buffer.concat(chunks).toString('utf8'), closedAfterMs: Date.now() - started });
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server did not close the connection within 15 s'));
    }, 15_000).unref();
  });
}

/** The status and JSON body of a raw HTTP answer. */
function parseAnswer(text: string): { status: number; headers: string; body: Record<string, unknown> } {
  const [head, ...rest] = text.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
    headers: head.toLowerCase(),
    body: JSON.parse(rest.join('\r\n\r\n')) as Record<string, unknown>,
  };
}

/**
 * What an attacker with nothing but the service's address can send (issue 23): nothing may hold the
 * event loop, and every refusal is in the error shape with a stable code.
 */
describe('hostile traffic', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: { REQUEST_TIMEOUT_MS: '1500', REQUEST_HEADERS_TIMEOUT_MS: '1000', ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0' },
    });
  }, 60_000);
  afterAll(() => t?.close());

  describe('form bodies', () => {
    const flood = 'a&'.repeat(50 * 1024 - 1) + 'a';

    it('three anonymous 100 kB floods of one repeated field are turned away at once, before the form is read; /health/live is not held up', async () => {
      const started = Date.now();
      const floods = [1, 2, 3].map(() =>
        rawRequest(
          t.baseUrl,
          'POST',
          '/admin/api-keys',
          { 'content-type': 'application/x-www-form-urlencoded' },
          flood,
        ),
      );
      const probes: number[] = [];
      const probing = (async () => {
        for (let i = 0; i < 5; i++) {
          const at = Date.now();
          expect((await rawRequest(t.baseUrl, 'GET', '/health/live')).status).toBe(200);
          probes.push(Date.now() - at);
        }
      })();
      const answers = await Promise.all(floods);
      await probing;
      for (const answer of answers) {
        // No session: the console's answer (to the sign-in page), decided before the body was parsed.
        expect(answer.status).toBe(303);
        expect(answer.headers.location).toBe('/admin/sign-in');
      }
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(Math.max(...probes)).toBeLessThan(500);
    });

    it('with a session, the same flood is parsed in linear time and refused: 400, more than 1000 fields', async () => {
      const session = await consoleSignIn(t);
      const started = Date.now();
      const res = await rawRequest(
        t.baseUrl,
        'POST',
        '/admin/api-keys',
        { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie },
        // Just under the 100 kB limit with the token: 45,000 fields of one name.
        `_csrf=${session.csrf}&${'a&'.repeat(45_000)}a`,
      );
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(res.status).toBe(400);
      expect(res.text).toContain('more than 1000 fields');
    });

    it('a POST to the console from another site, or not a form, is refused before its body is read', async () => {
      const session = await consoleSignIn(t);
      const foreign = await rawRequest(
        t.baseUrl,
        'POST',
        '/admin/api-keys',
        { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie, origin: 'https://evil.example' },
        // Over 1,000 fields: parsed, it would be a 400; refused first, it is the console's 403.
        `_csrf=${session.csrf}&name=x&scopes=proxy&${'a&'.repeat(1_001)}`,
      );
      expect(foreign.status).toBe(403);
      const json = await rawRequest(
        t.baseUrl,
        'POST',
        '/admin/api-keys',
        { 'content-type': 'application/json', cookie: session.cookie },
        // Broken JSON: parsed, it would be a 400 invalid_json.
        `{"_csrf":"${session.csrf}","name":"x"`,
      );
      expect(json.status).toBe(403);
      const keys = await t.api.get('/api-keys').expect(200);
      expect((keys.body.data as { name: string }[]).map((k) => k.name)).not.toContain('x');
    });
  });

  describe('JSON bodies', () => {
    it.each(['/connections', '/connect-sessions'])(
      'JSON nested 5,000 deep on %s: 400 invalid_json, not a 500',
      async (path) => {
        const res = await rawRequest(t.baseUrl, 'POST', path, KEY, nested(5_000));
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, code: 'invalid_json' });
        expect(res.body.message).toContain('nested deeper than 64');
      },
    );

    it('64 levels are read (and then validated); 65 are refused; brackets inside strings do not count', async () => {
      const at64 = await rawRequest(t.baseUrl, 'POST', '/connections', KEY, nested(63));
      expect(at64.body.code).toBe('validation_failed');
      const at65 = await rawRequest(t.baseUrl, 'POST', '/connections', KEY, nested(65));
      expect(at65.body.code).toBe('invalid_json');
      const inString = await rawRequest(
        t.baseUrl,
        'POST',
        '/connections',
        KEY,
        JSON.stringify({ provider: 'keap', ownerId: '[[[[{{{{'.repeat(100) + '\\"' }),
      );
      expect(inString.body.code).toBe('validation_failed');
    });

    it('without a key, a body is never read: 401 even for a body that is not JSON (parsed first, it would be 400)', async () => {
      const res = await rawRequest(t.baseUrl, 'POST', '/connections', { 'content-type': 'application/json' }, '{"a":');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
    });
  });

  describe('unknown routes', () => {
    it.each([
      ['POST', '/nope'],
      ['PUT', '/connections'],
      ['POST', '/admin/nope'],
    ])('%s %s with a body that is not JSON: 404 route_not_found, the body never parsed', async (method, path) => {
      const res = await rawRequest(t.baseUrl, method, path, { 'content-type': 'application/json' }, '{"a":');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404, code: 'route_not_found', message: 'No such route' });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  describe('query strings', () => {
    it('256 parameters are read; 257 are refused with 400 validation_failed', async () => {
      const query = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');
      expect((await rawRequest(t.baseUrl, 'GET', `/health/live?${query(256)}`)).status).toBe(200);
      const refused = await rawRequest(t.baseUrl, 'GET', `/health/live?${query(257)}`);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('256') });
      expect(refused.headers['x-content-type-options']).toBe('nosniff');
      const repeated = await rawRequest(t.baseUrl, 'GET', `/connections?${'status=active&'.repeat(300)}`, KEY);
      expect(repeated.status).toBe(400);
    });
  });

  describe('what Node refuses before a request exists', () => {
    it('a 20 kB header: 431 headers_too_large in the error shape, with a request id and the security headers', async () => {
      const answer = await socketExchange(
        t.baseUrl,
        `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
      );
      const { status, headers, body } = parseAnswer(answer.text);
      expect(status).toBe(431);
      expect(body).toMatchObject({ statusCode: 431, code: 'headers_too_large', requestId: expect.any(String) });
      expect(headers).toContain(`x-request-id: ${String(body.requestId)}`);
      expect(headers).toContain('x-content-type-options: nosniff');
      expect(headers).toContain('application/json');
    });

    it('a malformed request line: 400 in the error shape', async () => {
      const answer = await socketExchange(t.baseUrl, 'GET /\x01 NOT-HTTP\r\n\r\n');
      const { status, body } = parseAnswer(answer.text);
      expect(status).toBe(400);
      expect(body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
    });

    it('a body that trickles in is cut at REQUEST_TIMEOUT_MS: 408 request_timeout, connection closed', async () => {
      const answer = await socketExchange(
        t.baseUrl,
        `POST /connections HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
        Array.from({ length: 40 }, () => ' '),
      );
      const { status, body } = parseAnswer(answer.text);
      expect(status).toBe(408);
      expect(body).toMatchObject({ statusCode: 408, code: 'request_timeout' });
      // 1.5 s, checked every second: closed well before the 40 bytes (12 s) could arrive.
      expect(answer.closedAfterMs).toBeLessThan(4_000);
    });

    it('a body refused before it is read (no key) closes the connection at once: one answer, no 408 later', async () => {
      const answer = await socketExchange(
        t.baseUrl,
        'POST /connections HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
        Array.from({ length: 40 }, () => ' '),
      );
      expect(answer.text.match(/^HTTP\/1\.1 /gm)).toHaveLength(1);
      const { status, headers, body } = parseAnswer(answer.text);
      expect(status).toBe(401);
      expect(body).toMatchObject({ code: 'unauthorized' });
      expect(headers).toContain('connection: close');
      expect(answer.closedAfterMs).toBeLessThan(1_000);
    });

    it('headers that trickle in are cut at REQUEST_HEADERS_TIMEOUT_MS', async () => {
      const answer = await socketExchange(
        t.baseUrl,
        'GET /health/live HTTP/1.1\r\n',
        Array.from({ length: 40 }, (_, i) => `X-H${i}: 1\r\n`),
      );
      expect(parseAnswer(answer.text).status).toBe(408);
      expect(answer.closedAfterMs).toBeLessThan(4_000);
    });
  });
});

/** A key checked before its body is checked again when the handler runs (issue 23). */
describe('hostile traffic: a key revoked while its upload arrives', () => {
  const tokens = new FakeProvider();
  let upstreamCalls = 0;
  const upstream = http.createServer((req, res) => {
    upstreamCalls++;
    req.resume();
    req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{}'));
  });
  let t: TestApp;
  /** Requests that passed every onRequest check (the key's included) and whose body is being read. */
  const parsing: string[] = [];

  beforeAll(async () => {
    await tokens.start();
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const api = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    t = await startTestApp({
      env: {
        SANDBOX: 'false',
        KEAP_CLIENT_ID: 'cid',
        KEAP_CLIENT_SECRET: 'csecret',
        KEAP_AUTHORIZE_URL: `${tokens.url}/authorize`,
        KEAP_TOKEN_URL: `${tokens.url}/token`,
        KEAP_API_BASE_URL: `${api}/v1`,
      },
      configure: (app) =>
        app
          .getHttpAdapter()
          .getInstance()
          .addHook('preParsing', (request, _reply, payload, done) => {
            parsing.push(request.url);
            done(null, payload);
          }),
    });
  }, 60_000);
  /** Uploads of a test that failed half-way would hold the app's close. */
  const uploads: http.ClientRequest[] = [];
  afterAll(async () => {
    for (const req of uploads) req.destroy();
    await t?.close();
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
    await tokens.stop();
  });

  /** Starts a POST of `size` bytes with `key`, sends half, and returns what finishes it. */
  function halfUpload(path: string, key: string, contentType: string, body: Buffer) {
    let answered: (value: { status: number; body: string }) => void;
    const answer = new Promise<{ status: number; body: string }>((resolve) => (answered = resolve));
    const req = http.request(
      `${t.baseUrl}${path}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': contentType, 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => answered({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', () => undefined);
    uploads.push(req);
    req.write(body.subarray(0, body.length / 2));
    return { answer, finish: () => req.end(body.subarray(body.length / 2)) };
  }

  it('through the proxy: 401, and nothing is forwarded', async () => {
    const connection = await t.api
      .post('/connections')
      .send({ provider: 'keap', ownerId: 'o-1', accountId: 'a-1', accessToken: 'AT', refreshToken: 'RT' })
      .expect(201);
    const made = await t.api
      .post('/api-keys')
      .send({ name: 'uploader', scopes: ['proxy'] })
      .expect(201);
    const upload = halfUpload(
      `/proxy/${connection.body.id as string}/files`,
      made.body.key as string,
      'application/octet-stream',
      Buffer.alloc(200 * 1024, 7),
    );
    // The key passed the check before the body (the old code's only check): the body is being read.
    await waitFor(() => parsing.some((url) => url.startsWith('/proxy/')), 'the upload past onRequest', 5_000);
    await t.api.delete(`/api-keys/${made.body.id as string}`).expect(200);
    upload.finish();
    const answer = await within(upload.answer, 5_000, 'the upload answer');
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'unauthorized' });
    expect(upstreamCalls).toBe(0);
  });

  it('on the API: 401, and nothing is stored', async () => {
    const made = await t.api
      .post('/api-keys')
      .send({ name: 'writer', scopes: ['connections:write'] })
      .expect(201);
    const body = Buffer.from(
      JSON.stringify({
        provider: 'keap',
        ownerId: 'revoked-mid-upload',
        accessToken: 'AT',
        padding: 'x'.repeat(20_000),
      }),
    );
    const upload = halfUpload('/connections', made.body.key as string, 'application/json', body);
    await waitFor(() => parsing.includes('/connections'), 'the upload past onRequest', 5_000);
    await t.api.delete(`/api-keys/${made.body.id as string}`).expect(200);
    upload.finish();
    const answer = await within(upload.answer, 5_000, 'the upload answer');
    expect(answer.status).toBe(401);
    const list = await t.api.get('/connections?ownerId=revoked-mid-upload').expect(200);
    expect(list.body.data).toHaveLength(0);
  });
});

/** The console's sign-in limit groups IPv6 clients by /64, like /oauth/* (issue 23). */
describe('hostile traffic: sign-in attempts from one IPv6 /64', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: 'loopback', ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '3' } });
  }, 60_000);
  afterAll(() => t?.close());

  const signIn = (from: string) =>
    rawRequest(
      t.baseUrl,
      'POST',
      '/admin/sign-in',
      { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
      'key=wrong',
    );

  it('three attempts from three addresses of one /64 use up its limit; a fourth address of it waits; another /64 does not', async () => {
    for (const from of ['2001:db8:7:1::1', '2001:db8:7:1::2', '2001:db8:7:1:ffff::9'])
      expect((await signIn(from)).status).toBe(401);
    const limited = await signIn('2001:db8:7:1:abcd::42');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await signIn('2001:db8:7:2::1')).status).toBe(401);
  });
});
