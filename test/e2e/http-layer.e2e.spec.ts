import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { connect } from 'node:net';
import { eventually, rawRequest, RawAnswer, rawSocketRequest } from '../support/raw-http';
import { waitFor } from '../support/wait';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LIMIT = 100 * 1024;

/**
 * The HTTP layer's contract on Fastify (src/http/, the exception filter), as clients saw it on
 * Express: how request bodies are read, request ids, routing, the error shape of framework-level
 * failures, and that those failures are logged like any request. Exercised on POST /connections with
 * raw node:http requests, so bodies and headers reach the server byte for byte. Route-level behaviour
 * is elsewhere: validation and a basic invalid_json / 413 in connections.e2e.spec.ts, API keys,
 * request ids on routes and log redaction in auth-and-logs.e2e.spec.ts, metrics in metrics.e2e.spec.ts.
 */
describe('HTTP layer: bodies, request ids, routing, framework errors', () => {
  let t: TestApp;
  /** Requests whose client went away before the answer: Fastify's last event of such a request. */
  const aborted: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      configure: (app) =>
        app
          .getHttpAdapter()
          .getInstance()
          .addHook('onRequestAbort', (request, done) => {
            aborted.push(`${request.method} ${request.url}`);
            done();
          }),
    });
  }, 60_000);
  afterAll(() => t?.close());

  const KEY = { authorization: `Bearer ${TEST_API_KEY}` };
  const JSON_TYPE = { ...KEY, 'content-type': 'application/json' };
  const GZIP = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
  const LATIN1 = { 'content-type': 'application/json; charset=latin1' };
  const newOwner = () => `http-layer-${randomBytes(4).toString('hex')}`;
  /** A valid import body for a fresh owner. */
  const importBody = (ownerId = newOwner()) => ({ provider: 'keap', ownerId, accessToken: `at-${ownerId}` });
  const post = (headers: Record<string, string>, body?: string | Buffer): Promise<RawAnswer> =>
    rawRequest(t.baseUrl, 'POST', '/connections', headers, body);
  const rowsOf = async (ownerId: string) =>
    Number((await t.dataSource.query('SELECT count(*) FROM connections WHERE owner_id = $1', [ownerId]))[0].count);
  /** `json` padded with trailing spaces (still the same JSON) to exactly `bytes` bytes. */
  const padded = (json: string, bytes: number) => {
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(bytes);
    return json + ' '.repeat(bytes - Buffer.byteLength(json));
  };
  /** The error shape, with the request id the answer's header carries. */
  const errorBody = (res: RawAnswer, statusCode: number, code: string, message: string) => ({
    statusCode,
    code,
    message,
    requestId: res.headers['x-request-id'],
  });

  const INVALID_JSON = 'The request body is not valid JSON';
  const UNREADABLE = 'The request body could not be read';
  const TOO_LARGE = 'The request body is larger than the 100 kB limit';

  describe('JSON bodies', () => {
    it.each([
      ['a truncated object', '{"provider":"keap","accessToken":"leaky-secret-1", '],
      ['an object with trailing text', '{"provider":"keap","accessToken":"leaky-secret-2"} tail'],
      ['single quotes', "{'accessToken':'leaky-secret-3'}"],
    ])(
      'answers malformed JSON (%s) with 400 invalid_json and a fixed message that does not quote the body',
      async (_name, body) => {
        const res = await post(JSON_TYPE, body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(errorBody(res, 400, 'invalid_json', INVALID_JSON));
        expect(res.text).not.toContain('leaky-secret');
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      },
    );

    it.each([
      ['null', 'null'],
      ['a string', '"x"'],
      ['a number', '42'],
      ['true', 'true'],
      ['whitespace only', ' \r\n\t '],
    ])('accepts only an object or an array: %s is 400 invalid_json', async (_name, body) => {
      const res = await post(JSON_TYPE, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorBody(res, 400, 'invalid_json', INVALID_JSON));
    });

    it('reads an empty body with Content-Type: application/json as {}: 400 validation_failed about the missing fields', async () => {
      const res = await post(JSON_TYPE, '');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
      for (const field of ['provider', 'ownerId', 'accessToken']) expect(res.body.message).toContain(field);
    });

    it('reads an array as JSON and leaves it to validation: 400 validation_failed', async () => {
      const res = await post(JSON_TYPE, '[]');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'validation_failed', message: expect.any(String) });
    });

    it('drops __proto__ and constructor.prototype keys, at the top and nested, without polluting Object.prototype', async () => {
      const ownerId = newOwner();
      const body =
        `{"__proto__":{"polluted":1},"provider":"keap","ownerId":"${ownerId}","accessToken":"at-1",` +
        '"metadata":{"__proto__":{"pollutedNested":1},"constructor":{"prototype":{"pollutedCtor":1}},"kept":1}}';
      const res = await post(JSON_TYPE, body);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ ownerId, metadata: { kept: 1 } });
      expect(Object.keys(res.body.metadata)).toEqual(['kept']);
      const probe = {} as Record<string, unknown>;
      expect(probe.polluted).toBeUndefined();
      expect(probe.pollutedNested).toBeUndefined();
      expect((probe.constructor as unknown as Record<string, unknown>).pollutedCtor).toBeUndefined();
      expect(await rowsOf(ownerId)).toBe(1);
    });

    it.each([
      ['application/json; charset=utf-8'],
      ['application/json;charset=UTF-8'],
      ['application/json; charset="utf-8"'],
      ['Application/JSON'],
    ])('reads UTF-8 JSON sent as %s: 201', async (contentType) => {
      const ownerId = newOwner();
      // Non-ASCII in the body: it must arrive as the same characters.
      const res = await post(
        { ...KEY, 'content-type': contentType },
        JSON.stringify({ ...importBody(ownerId), teamName: 'Ünïcødé 中文 🚀' }),
      );
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ ownerId, teamName: 'Ünïcødé 中文 🚀' });
    });

    it('reads a body with Content-Encoding: identity: 201', async () => {
      const ownerId = newOwner();
      const res = await post({ ...JSON_TYPE, 'content-encoding': 'identity' }, JSON.stringify(importBody(ownerId)));
      expect(res.status).toBe(201);
      expect(await rowsOf(ownerId)).toBe(1);
    });

    it.each([
      ['charset=latin1', LATIN1, (json: string) => json],
      [
        'charset=utf-16le',
        { 'content-type': 'application/json; charset=utf-16le' },
        (json: string) => Buffer.from(json, 'utf16le'),
      ],
      [
        'Content-Encoding: deflate',
        { 'content-type': 'application/json', 'content-encoding': 'deflate' },
        (json: string) => json,
      ],
      [
        'a chunked gzip body (Content-Encoding: GZIP)',
        { ...GZIP, 'content-encoding': 'GZIP', 'transfer-encoding': 'chunked' },
        gzipSync,
      ],
    ])(
      'refuses a body it cannot read as it arrives (%s) with 415 validation_failed, storing nothing',
      async (_name, headers, encode) => {
        const ownerId = newOwner();
        const res = await post({ ...KEY, ...headers }, encode(JSON.stringify(importBody(ownerId))));
        expect(res.status).toBe(415);
        expect(res.body).toEqual(errorBody(res, 415, 'validation_failed', UNREADABLE));
        expect(await rowsOf(ownerId)).toBe(0);
      },
    );

    /** Bodies whose bytes are not UTF-8, sent with a Content-Length, as clients send them. */
    const notUtf8: [string, Record<string, string>, (json: string) => Buffer][] = [
      ['Content-Encoding: gzip', GZIP, (json) => gzipSync(json)],
      [
        'charset=latin1, non-ASCII text',
        LATIN1,
        (json) => Buffer.from(json.replace(/}$/, ',"teamName":"Café"}'), 'latin1'),
      ],
    ];

    // The parser reads bytes, not text: decoding as the body arrives would turn these into a 400 Content-Length mismatch.
    it.each(notUtf8)(
      'refuses a body whose bytes are not UTF-8 (%s) with 415 validation_failed, storing nothing',
      async (_name, headers, encode) => {
        const ownerId = newOwner();
        const res = await post({ ...KEY, ...headers }, encode(JSON.stringify(importBody(ownerId))));
        expect(res.status).toBe(415);
        expect(res.body).toEqual(errorBody(res, 415, 'validation_failed', UNREADABLE));
        expect(await rowsOf(ownerId)).toBe(0);
      },
    );
  });

  describe('bodies of other types (the API takes JSON only)', () => {
    it.each([
      ['text/plain', (b: Record<string, string>) => JSON.stringify(b)],
      ['application/x-www-form-urlencoded', (b: Record<string, string>) => new URLSearchParams(b).toString()],
      ['application/octet-stream', (b: Record<string, string>) => JSON.stringify(b)],
    ])(
      'ignores a %s body with valid-looking fields: 400 validation_failed, nothing stored',
      async (contentType, encode) => {
        const ownerId = newOwner();
        const res = await post({ ...KEY, 'content-type': contentType }, encode(importBody(ownerId)));
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
        expect(res.body.message).toContain('provider');
        expect(await rowsOf(ownerId)).toBe(0);
      },
    );
  });

  describe('body size limit (100 kB = 102,400 bytes)', () => {
    it('reads a body of exactly 102,400 bytes', async () => {
      const ownerId = newOwner();
      const body = padded(JSON.stringify(importBody(ownerId)), LIMIT);
      const res = await post({ ...JSON_TYPE, 'content-length': String(LIMIT) }, body);
      expect(res.status).toBe(201);
      expect(await rowsOf(ownerId)).toBe(1);
    });

    it('reads a body just under the limit that fails validation as a validation error, not 413', async () => {
      const body = padded(JSON.stringify({ ...importBody(), metadata: { blob: 'x'.repeat(LIMIT - 300) } }), LIMIT - 1);
      const res = await post(JSON_TYPE, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
    });

    it.each([
      ['one byte over, with Content-Length', LIMIT + 1, false],
      ['far over, with Content-Length', 3 * LIMIT, false],
      ['one byte over, chunked (no Content-Length)', LIMIT + 1, true],
    ])('refuses a body %s with 413 payload_too_large, storing nothing', async (_name, bytes, chunked) => {
      const ownerId = newOwner();
      const body = padded(JSON.stringify(importBody(ownerId)), bytes);
      const res = await post(
        { ...JSON_TYPE, ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(bytes) }) },
        body,
      );
      expect(res.status).toBe(413);
      expect(res.body).toEqual(errorBody(res, 413, 'payload_too_large', TOO_LARGE));
      expect(await rowsOf(ownerId)).toBe(0);
    });

    it('applies the limit to bodies it ignores too', async () => {
      const res = await post(
        { ...KEY, 'content-type': 'text/plain', 'content-length': String(LIMIT + 1) },
        'x'.repeat(LIMIT + 1),
      );
      expect(res.status).toBe(413);
      expect(res.body).toEqual(errorBody(res, 413, 'payload_too_large', TOO_LARGE));
    });
  });

  describe('request ids on answers the framework gives before any route runs', () => {
    const failures: [string, Record<string, string>, () => string, number][] = [
      ['invalid JSON', JSON_TYPE, () => '{', 400],
      ['an unreadable charset', { ...KEY, ...LATIN1 }, () => '{}', 415],
      ['a body over the limit', JSON_TYPE, () => padded('{}', LIMIT + 1), 413],
    ];

    it.each(failures)(
      'echoes a sane incoming X-Request-Id on %s, in the header and the body',
      async (_name, headers, body, status) => {
        const res = await post({ ...headers, 'x-request-id': 'trace-1.2:3' }, body());
        expect(res.status).toBe(status);
        expect(res.headers['x-request-id']).toBe('trace-1.2:3');
        expect(res.body.requestId).toBe('trace-1.2:3');
      },
    );

    it.each([
      ['with a space', 'a b'],
      ['of 300 characters', 'x'.repeat(300)],
      ['with a quote and angle brackets', 'a"<b>'],
    ])('replaces an incoming X-Request-Id %s by a new UUID', async (_name, incoming) => {
      const res = await post({ ...JSON_TYPE, 'x-request-id': incoming }, '{');
      expect(res.status).toBe(400);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.body.requestId).toMatch(UUID);
    });

    it('gives two requests without an id two different ids', async () => {
      const [a, b] = await Promise.all([post(JSON_TYPE, '{'), post(JSON_TYPE, '{')]);
      expect(a.headers['x-request-id']).toMatch(UUID);
      expect(b.headers['x-request-id']).toMatch(UUID);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it.each(failures)(
      'logs %s like any request: one "request completed" line, level 40, its status',
      async (_name, headers, body, status) => {
        const rid = `body-log-${randomBytes(4).toString('hex')}`;
        expect((await post({ ...headers, 'x-request-id': rid }, body())).status).toBe(status);
        const lines = () =>
          t.logs
            .entries()
            .filter((e) => (e.req as { id?: string } | undefined)?.id === rid && e.msg === 'request completed');
        await eventually(() => expect(lines()).toHaveLength(1));
        expect(lines()[0]).toMatchObject({
          level: 40,
          req: { id: rid, method: 'POST', path: '/connections' },
          res: { statusCode: status },
        });
        // A client error: nothing logged as failed.
        expect(
          t.logs
            .entries()
            .filter((e) => (e.req as { id?: string } | undefined)?.id === rid && e.msg === 'request failed'),
        ).toHaveLength(0);
      },
    );
  });

  describe('routing', () => {
    it.each([['/connections/'], ['/CONNECTIONS'], ['/Connections/']])(
      'serves %s as /connections (trailing slash and path case ignored)',
      async (path) => {
        const ownerId = newOwner();
        const created = await post(JSON_TYPE, JSON.stringify(importBody(ownerId)));
        expect(created.status).toBe(201);
        const res = await rawRequest(t.baseUrl, 'GET', `${path}?ownerId=${ownerId}`, KEY);
        expect(res.status).toBe(200);
        expect(res.body.data.map((c: { id: string }) => c.id)).toEqual([created.body.id]);
      },
    );

    it('keeps path parameters as sent when matching case-insensitively', async () => {
      const created = await post(JSON_TYPE, JSON.stringify(importBody()));
      const res = await rawRequest(t.baseUrl, 'GET', `/CONNECTIONS/${created.body.id}`, KEY);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(created.body.id);
    });

    it.each([
      ['GET', '/nope'],
      ['GET', '//connections'],
      ['PUT', '/connections'],
      ['DELETE', '/connections'],
      ['OPTIONS', '/connections'],
    ])('answers %s %s with 404 route_not_found in the error shape', async (method, path) => {
      // On a plain socket: node:http would read `//connections` as a host.
      const res = await rawSocketRequest(t.baseUrl, method, path, KEY);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(errorBody(res, 404, 'route_not_found', 'No such route'));
      expect(res.headers['x-request-id']).toMatch(UUID);
    });

    it('answers an unknown route before checking the API key', async () => {
      const res = await rawRequest(t.baseUrl, 'GET', '/nope');
      expect(res.status).toBe(404);
      expect(res.body).toEqual(errorBody(res, 404, 'route_not_found', 'No such route'));
    });
  });

  describe('requests the router cannot take', () => {
    it.each([
      ['a bad percent-encoding', '/connections/%zz/credentials?code=SECRET-CODE-1&state=SECRET-STATE-1'],
      ['an over-long path parameter', `/connections/${'a'.repeat(120)}/credentials?code=SECRET-CODE-1`],
    ])('answers %s with 400 validation_failed in the error shape, never echoing the URL', async (_name, target) => {
      const res = await rawSocketRequest(t.baseUrl, 'GET', target, KEY);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorBody(res, 400, 'validation_failed', 'The request URL is not valid'));
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.text).not.toContain('SECRET');
    });

    it('gives an answer to a request target that is not a path its X-Request-Id too', async () => {
      const res = await rawSocketRequest(t.baseUrl, 'GET', '*connections', KEY);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(errorBody(res, 404, 'route_not_found', 'No such route'));
    });
  });

  it("treats a client that goes away mid-upload as the client's doing: no 500 logged", async () => {
    const before = t.logs.entries().length;
    const { hostname, port } = new URL(t.baseUrl);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(
          `POST /connections HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: ${KEY.authorization}\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"pro`,
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    // The service is done with the upload: its body's error was handled (where a 500 would be logged),
    // then the request closed, then Fastify's onRequestAbort ran. Only then is silence a result.
    await waitFor(() => aborted.includes('POST /connections'), 'the aborted upload handled');
    // The app still answers, and nothing it logged since says "request failed" or error level.
    await rawRequest(t.baseUrl, 'GET', '/connections', KEY);
    const since = t.logs.entries().slice(before);
    expect(since.filter((e) => e.msg === 'request failed' || (e.level as number) >= 50)).toEqual([]);
  });
});
