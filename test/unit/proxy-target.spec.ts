import { isPrivateAddress, PrivateAddressRefused, publicOnlyLookup } from '../../src/proxy/private-addresses';
import { varyWithAuthorization } from '../../src/proxy/proxy-answer-headers';
import {
  callerResponseHeaders,
  checkProxyPath,
  InvalidProxyPath,
  proxyRequestTarget,
  proxyTarget,
  upstreamRequestHeaders,
} from '../../src/proxy/proxy-target';

describe('proxy target: always under the API base, on its host', () => {
  const BASE = 'https://api.example.com/crm/rest/v1';

  it.each([
    ['', 'https://api.example.com/crm/rest/v1'],
    ['/', 'https://api.example.com/crm/rest/v1'],
    ['/contacts', 'https://api.example.com/crm/rest/v1/contacts'],
    ['/contacts/7/tags?limit=2&x=%2F', 'https://api.example.com/crm/rest/v1/contacts/7/tags?limit=2&x=%2F'],
    ['?q=1', 'https://api.example.com/crm/rest/v1?q=1'],
    ['/a%20b/c%3Fd', 'https://api.example.com/crm/rest/v1/a%20b/c%3Fd'],
    ['/@evil.example', 'https://api.example.com/crm/rest/v1/@evil.example'],
    ['/http:evil.example', 'https://api.example.com/crm/rest/v1/http:evil.example'],
    ['/...', 'https://api.example.com/crm/rest/v1/...'],
    ['/contacts/', 'https://api.example.com/crm/rest/v1/contacts/'],
    ['/a;b/c', 'https://api.example.com/crm/rest/v1/a;b/c'],
  ])('%j → %s', (rest, expected) => {
    expect(proxyTarget(BASE, rest).href).toBe(expected);
  });

  it('keeps a base with a trailing slash, and a base at the root of its host', () => {
    expect(proxyTarget('https://api.example.com/v2/', '/sites').href).toBe('https://api.example.com/v2/sites');
    expect(proxyTarget('https://api.example.com', '/sites').href).toBe('https://api.example.com/sites');
  });

  it.each([
    ['/../x', 'a . or .. segment'],
    ['/a/../../x', 'a . or .. segment'],
    ['/./x', 'a . or .. segment'],
    ['/%2e%2e/x', 'a . or .. segment'],
    ['/%2E%2e/x', 'a . or .. segment'],
    ['/.%2e/x', 'a . or .. segment'],
    ['/%252e%252e/x', 'a . or .. segment'],
    ['/%25252e%25252e/x', 'a . or .. segment'],
    ['//x', 'an empty segment (//)'],
    ['/a//b', 'an empty segment (//)'],
    ['//evil.example/x', 'an empty segment (//)'],
    ['/https://evil.example', 'an empty segment (//)'],
    ['/a\\b', 'a backslash'],
    ['/a%5cb', 'a backslash'],
    ['/a%255cb', 'a backslash'],
    ['/a%2fb', 'an encoded slash'],
    ['/a%252Fb', 'an encoded slash'],
    ['/a%zz', 'malformed percent-encoding'],
    ['/a\u0000b', 'control characters'],
    ['/a\nb', 'control characters'],
    ['/a?b#c', 'a fragment'],
    ['/a#b', 'a fragment'],
    ['/..;/x', 'a . or .. segment'],
    ['/v1/..;jsessionid=1/x', 'a . or .. segment'],
    ['/.;/x', 'a . or .. segment'],
    ['/%2e%2e;/x', 'a . or .. segment'],
    ['/\uff0e\uff0e/x', 'a . or .. segment'],
    ['/a\uff0fb', 'an encoded slash'],
    ['/a%00b', 'control characters'],
    ['/a%0d%0aX-Injected:%201', 'control characters'],
    ['/contacts//', 'an empty segment (//)'],
  ])('refuses %j (%s)', (rest, reason) => {
    expect(() => proxyTarget(BASE, rest)).toThrow(InvalidProxyPath);
    expect(() => checkProxyPath(rest)).toThrow(`The proxy path is not allowed: ${reason}`);
  });
});

describe('proxyRequestTarget: what a call sends, the same as proxyTarget gives (without a URL parsed for a plain path)', () => {
  /** What undici made of proxyTarget's URL before (its origin, and the path with the query if there is one). */
  const viaUrl = (base: string, rest: string) => {
    const url = proxyTarget(base, rest);
    return {
      origin: url.origin,
      path: url.search ? `${url.pathname}${url.search}` : url.pathname,
      pathname: url.pathname,
      host: url.host,
      hostname: url.hostname,
    };
  };
  const bases = [
    'https://api.example.com/crm/rest/v1',
    'https://api.example.com/v2/',
    'https://api.example.com',
    'https://API.Example.COM:443/V1',
    'http://127.0.0.1:8080/api',
    'http://[::1]:8080/api',
    'https://workspace.myclickfunnels.com/api/v2',
  ];
  const rests = [
    '',
    '/',
    '?',
    '?q=1',
    '/contacts',
    '/contacts/',
    '/contacts?',
    '/contacts/7/tags?limit=2&x=%2F',
    '/a%20b/c%3Fd',
    '/@evil.example',
    '/http:evil.example',
    '/...',
    '/a;b/c',
    '/a.b/.c/c./~d/_e-f',
    "/it's/(x)*+,;=:@!$&",
    "/x?q='1'",
    '/x?a=b?c&d=/e:f@g',
    '/x?a=%zz',
    '/a%41%2a',
    '/caf\u00e9?q=\u00e9',
    '/a b?c d',
    '/a|b/c^d/{e}/`f`/[g]',
    '/x?q=<script>&r="s"&t={u}|v',
    '/x?q=a#',
  ];

  it.each(bases.flatMap((base) => rests.map((rest) => [base, rest])))('%s + %j', (base, rest) => {
    let expected: unknown;
    try {
      expected = viaUrl(base, rest);
    } catch (error) {
      expected = error;
    }
    if (expected instanceof Error) {
      expect(() => proxyRequestTarget(base, rest)).toThrow(expected.message);
    } else {
      expect(proxyRequestTarget(base, rest)).toEqual(expected);
      // Twice: the second call finds the base already parsed.
      expect(proxyRequestTarget(base, rest)).toEqual(expected);
    }
  });

  it('refuses what proxyTarget refuses', () => {
    for (const rest of ['/../x', '/%2e%2e/x', '//x', '/a\\b', '/a%2fb', '/a\u0000b', '/..;/x', '/\uff0e\uff0e/x'])
      expect(() => proxyRequestTarget('https://api.example.com/v1', rest)).toThrow(InvalidProxyPath);
  });
});

describe('proxy headers', () => {
  it('upstream: drops credentials, cookies, routing, hop-by-hop and Connection-listed headers; keeps the rest', () => {
    expect(
      upstreamRequestHeaders({
        authorization: 'Bearer caller-key',
        cookie: 'a=b',
        host: 'service.example',
        'x-forwarded-for': '10.0.0.1',
        'x-forwarded-proto': 'https',
        forwarded: 'for=10.0.0.1',
        'x-real-ip': '10.0.0.1',
        connection: 'keep-alive, x-private',
        'x-private': 'hop',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic x',
        'proxy-retries': '2',
        'content-length': '12',
        expect: '100-continue',
        'x-request-id': 'caller-id',
        accept: 'application/json',
        'content-type': 'application/json',
        'idempotency-key': 'k1',
        'user-agent': 'ua',
        'x-custom': ['a', 'b'],
        empty: undefined,
      }),
    ).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'idempotency-key': 'k1',
      'user-agent': 'ua',
      'x-custom': ['a', 'b'],
    });
  });

  it('back: drops cookies, hop-by-hop and Connection-listed headers, and never replaces one the service set', () => {
    const ours = new Set(['x-request-id', 'content-security-policy']);
    expect(
      callerResponseHeaders(
        {
          'set-cookie': ['a=b'],
          connection: 'close, x-hop',
          'x-hop': '1',
          'transfer-encoding': 'chunked',
          'keep-alive': 'timeout=5',
          'x-request-id': 'upstream',
          'content-security-policy': 'default-src *',
          'retry-after': '3',
          'x-ratelimit-remaining': '9',
          'content-type': 'application/json',
          'content-length': '2',
        },
        (name) => ours.has(name),
      ),
    ).toEqual({
      'retry-after': '3',
      'x-ratelimit-remaining': '9',
      'content-type': 'application/json',
      'content-length': '2',
    });
  });
});

describe("the provider's answer headers that never come back", () => {
  const nothingSet = () => false;
  it.each([
    ['strict-transport-security', 'max-age=63072000; includeSubDomains; preload'],
    ['alt-svc', 'h3=":443"; ma=86400'],
    ['clear-site-data', '"cache", "cookies", "storage"'],
    ['access-control-allow-origin', '*'],
    ['access-control-allow-credentials', 'true'],
    ['access-control-allow-headers', 'Authorization'],
    ['access-control-allow-methods', 'GET, DELETE'],
    ['access-control-expose-headers', 'X-Secret'],
    ['access-control-max-age', '86400'],
    ['set-cookie', 'session=provider; HttpOnly'],
    ['set-cookie2', 'old=style'],
    ['connection', 'close'],
    ['keep-alive', 'timeout=5'],
    ['proxy-authenticate', 'Basic realm="p"'],
    ['proxy-connection', 'keep-alive'],
    ['te', 'trailers'],
    ['trailer', 'X-Checksum'],
    ['transfer-encoding', 'chunked'],
    ['upgrade', 'h2c'],
    ['cache-control', 'public, max-age=3600'],
    ['expires', 'Thu, 01 Jan 2099 00:00:00 GMT'],
    ['cdn-cache-control', 'max-age=3600'],
    ['cloudflare-cdn-cache-control', 'max-age=3600'],
    ['surrogate-control', 'max-age=3600'],
    ['x-accel-expires', '3600'],
    ['x-accel-redirect', '/internal/secrets'],
    ['x-sendfile', '/etc/passwd'],
  ])('%s', (name, value) => {
    expect(callerResponseHeaders({ [name]: value, 'content-type': 'application/json' }, nothingSet)).toEqual({
      'content-type': 'application/json',
    });
  });

  it('ETag, Last-Modified and Vary come back', () => {
    const kept = { etag: '"v1"', 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT', vary: 'Accept-Encoding' };
    expect(callerResponseHeaders(kept, nothingSet)).toEqual(kept);
  });
});

describe('Vary of a proxy answer', () => {
  it.each([
    [undefined, 'Authorization'],
    ['', 'Authorization'],
    ['Accept-Encoding', 'Accept-Encoding, Authorization'],
    ['Accept, accept-encoding', 'Accept, accept-encoding, Authorization'],
    ['authorization', 'authorization'],
    ['Origin, Authorization, Origin', 'Origin, Authorization'],
    [['Accept', 'Accept-Language'], 'Accept, Accept-Language, Authorization'],
    ['*', '*, Authorization'],
  ])('%j → %s', (vary, expected) => {
    expect(varyWithAuthorization(vary)).toBe(expected);
  });
});

describe('private addresses (refused as proxy targets in production)', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.0.0.1', true],
    ['8.8.8.8', false],
    ['172.32.0.1', false],
    ['2606:4700::1111', false],
    ['::ffff:8.8.8.8', false],
    ['64:ff9b::a00:1', true],
    ['2002:7f00:1::', true],
    ['::127.0.0.1', true],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    ['192.0.0.170', true],
    ['ff02::1', true],
    ['not-an-ip', false],
  ])('%s → %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it('the lookup the production agent connects with refuses a name that resolves to one', async () => {
    const resolve = (all: boolean) =>
      new Promise<unknown>((done) =>
        publicOnlyLookup('localhost', { all }, (error: Error | null, address: unknown) => done(error ?? address)),
      );
    expect(await resolve(false)).toBeInstanceOf(PrivateAddressRefused);
    expect(await resolve(true)).toBeInstanceOf(PrivateAddressRefused);
    expect(((await resolve(true)) as { code: string }).code).toBe('EPRIVATEADDRESS');
  });
});
