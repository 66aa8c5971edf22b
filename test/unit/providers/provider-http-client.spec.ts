import { basicAuth, HttpTransportError } from '../../../src/common/http-client';
import { ProviderError } from '../../../src/providers/core/provider-errors';
import { ProviderHttpClient } from '../../../src/providers/core/provider-http-client';
import {
  basicOf,
  CLIENT_ID,
  CLIENT_SECRET,
  FakeHttp,
  formOf,
  jsonOf,
  response,
  settings,
  TOKENS,
} from '../support/fake-http';

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('ProviderHttpClient', () => {
  describe('token()', () => {
    it('posts a form with the client credentials in the body by default', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      const tokens = await new ProviderHttpClient(http.client, settings()).token(
        { grant_type: 'refresh_token', refresh_token: 'rt-0', unused: undefined },
        'form',
      );
      const req = http.only;
      expect(req).toMatchObject({ method: 'POST', url: 'https://auth.provider.test/token' });
      expect(req.headers?.Authorization).toBeUndefined();
      expect(formOf(req)).toEqual({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_type: 'refresh_token',
        refresh_token: 'rt-0',
      });
      expect(tokens).toMatchObject({ accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 3600 });
    });

    it('puts the credentials in an HTTP Basic header (form-encoded first) and not in the body with basic', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      await new ProviderHttpClient(http.client, settings()).token({ code: 'c' }, 'form', 'basic');
      const req = http.only;
      expect(basicOf(req)).toEqual({ user: CLIENT_ID, password: CLIENT_SECRET });
      expect(req.headers?.Authorization).toBe(basicAuth(CLIENT_ID, CLIENT_SECRET));
      expect(formOf(req)).toEqual({ code: 'c' });
    });

    it('sends JSON without the undefined fields', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      await new ProviderHttpClient(http.client, settings()).token({ code: 'c', code_verifier: undefined }, 'json');
      const req = http.only;
      expect(req.json).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code: 'c' });
      expect(Object.keys(req.json as object)).not.toContain('code_verifier');
    });

    it('lets a field override a credential of the same name (the caller knows best)', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      await new ProviderHttpClient(http.client, settings()).token({ client_id: 'other' }, 'json');
      expect(jsonOf(http.only)).toMatchObject({ client_id: 'other' });
    });

    it('sends empty credentials rather than "undefined" when none are configured', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      const unconfigured = settings({ clientId: undefined, clientSecret: undefined });
      await new ProviderHttpClient(http.client, unconfigured).token({ code: 'c' }, 'form');
      expect(formOf(http.only)).toEqual({ client_id: '', client_secret: '', code: 'c' });
    });

    it('maps the answer through parseTokenResponse', async () => {
      const http = new FakeHttp(response(400, { error: 'invalid_grant' }));
      const error = await providerError(new ProviderHttpClient(http.client, settings()).token({}, 'form'));
      expect(error.kind).toBe('invalid_grant');
    });
  });

  describe('transport failures', () => {
    it.each([
      ['timeout', 'timeout'],
      ['network', 'network'],
      ['too_large', 'bad_response'],
    ] as const)('turns a %s into ProviderError %s, without the query string', async (kind, expected) => {
      const http = new FakeHttp(new HttpTransportError(kind, 'https://auth.provider.test/token'));
      const error = await providerError(new ProviderHttpClient(http.client, settings()).token({}, 'form'));
      expect(error.kind).toBe(expected);
      expect(error.message).toContain('https://auth.provider.test/token');
    });

    it('lets any other error through as is', async () => {
      const boom = new TypeError('boom');
      const client = { send: () => Promise.reject(boom) } as unknown as ConstructorParameters<
        typeof ProviderHttpClient
      >[0];
      await expect(new ProviderHttpClient(client, settings()).token({}, 'form')).rejects.toBe(boom);
    });
  });

  describe('revoke()', () => {
    it('posts the fields as given when no client auth is asked for', async () => {
      const http = new FakeHttp(response(200, ''));
      const result = await new ProviderHttpClient(http.client, settings()).revoke({ token: 't' }, 'form');
      expect(result).toBe('revoked');
      expect(http.only).toMatchObject({ method: 'POST', url: 'https://auth.provider.test/revoke' });
      expect(formOf(http.only)).toEqual({ token: 't' });
      expect(http.only.headers?.Authorization).toBeUndefined();
    });

    it('adds the credentials to the body or a Basic header when asked', async () => {
      const http = new FakeHttp(response(200, ''));
      const client = new ProviderHttpClient(http.client, settings());
      await client.revoke({ token: 't' }, 'json', 'body');
      await client.revoke({ token: 't' }, 'form', 'basic');
      expect(jsonOf(http.requests[0])).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token: 't' });
      expect(formOf(http.requests[1])).toEqual({ token: 't' });
      expect(basicOf(http.requests[1])).toEqual({ user: CLIENT_ID, password: CLIENT_SECRET });
    });

    it.each([
      [200, 'revoked'],
      [204, 'revoked'],
      [302, 'failed'],
      [400, 'failed'],
      [401, 'failed'],
      [503, 'failed'],
    ])('reads %i as %s', async (status, expected) => {
      const http = new FakeHttp(response(status, ''));
      expect(await new ProviderHttpClient(http.client, settings()).revoke({ token: 't' }, 'form')).toBe(expected);
    });

    it('reports failed, without throwing, when the request never got an answer', async () => {
      const http = new FakeHttp(new HttpTransportError('timeout', 'https://auth.provider.test/revoke'));
      expect(await new ProviderHttpClient(http.client, settings()).revoke({ token: 't' }, 'form')).toBe('failed');
    });

    it('sends nothing and reports failed without a revoke URL', async () => {
      const http = new FakeHttp();
      const client = new ProviderHttpClient(http.client, settings({ revokeUrl: undefined }));
      expect(await client.revoke({ token: 't' }, 'form')).toBe('failed');
      expect(http.requests).toHaveLength(0);
    });
  });

  describe('api()', () => {
    it('sends the access token as a Bearer header and parses the JSON answer', async () => {
      const http = new FakeHttp(response(200, { id: 'u1' }));
      const body = await new ProviderHttpClient(http.client, settings()).api('POST', 'https://api.test/q', 'at-9', {
        q: 1,
      });
      expect(body).toEqual({ id: 'u1' });
      expect(http.only).toMatchObject({
        method: 'POST',
        url: 'https://api.test/q',
        headers: { Authorization: 'Bearer at-9' },
        json: { q: 1 },
      });
    });

    it.each([
      [401, 'unauthorized', false],
      // A 403 is a refusal of this call (scope, permission), not of the token.
      [403, 'forbidden', false],
      [404, 'rejected', false],
      [302, 'rejected', false],
      [429, 'rate_limited', true],
      [500, 'unavailable', true],
      [503, 'unavailable', true],
    ])('maps %i to %s', async (status, kind, readsRetryAfter) => {
      const http = new FakeHttp(response(status, { error: 'x' }, { 'retry-after': '7' }));
      const error = await providerError(
        new ProviderHttpClient(http.client, settings()).api('GET', 'https://a.test', 'at'),
      );
      expect(error.kind).toBe(kind);
      expect(error.message).toBe(`API call answered ${status}`);
      expect(error.retryAfterMs).toBe(readsRetryAfter ? 7000 : undefined);
    });

    it('refuses a 2xx that is not JSON as bad_response', async () => {
      const http = new FakeHttp(response(200, '<html>login</html>'));
      const error = await providerError(
        new ProviderHttpClient(http.client, settings()).api('GET', 'https://a.test', 'at'),
      );
      expect(error.kind).toBe('bad_response');
    });

    it('never puts the access token in an error', async () => {
      const http = new FakeHttp(response(401, { echoed: 'at-SECRET' }));
      const error = await providerError(
        new ProviderHttpClient(http.client, settings()).api('GET', 'https://a.test', 'at-SECRET'),
      );
      expect(error.message).not.toContain('at-SECRET');
    });
  });
});

describe('basicAuth', () => {
  it('form-encodes each part before joining (RFC 6749 2.3.1)', () => {
    const header = basicAuth('id:1', 'a b+c%');
    expect(header.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(header.slice(6), 'base64').toString('utf8')).toBe('id%3A1:a+b%2Bc%25');
  });

  it('leaves unreserved characters alone', () => {
    expect(Buffer.from(basicAuth('abc-123_.~', 'XYZ').slice(6), 'base64').toString('utf8')).toBe('abc-123_.~:XYZ');
  });
});
