import { lightfunnelsSpec } from '../../../src/providers/lightfunnels/lightfunnels.config';
import { LightfunnelsProvider } from '../../../src/providers/lightfunnels/lightfunnels.provider';
import { TokenSet } from '../../../src/providers/core/token-response';
import { basicOf, CLIENT_ID, CLIENT_SECRET, FakeHttp, jsonOf, response, settingsFromSpec } from '../support/fake-http';

const lightfunnels = (http: FakeHttp, env: Record<string, string> = {}) =>
  new LightfunnelsProvider(settingsFromSpec(lightfunnelsSpec, env), http.client);
const tokens: TokenSet = { accessToken: 'at-1', tokenType: 'Bearer', raw: {} };
const GRAPHQL = 'https://services.lightfunnels.com/api/v2';

describe('LightfunnelsProvider', () => {
  it('joins scopes with commas and adds no authorize parameters', () => {
    const provider = lightfunnels(new FakeHttp());
    expect(provider.scopeSeparator).toBe(',');
    expect(provider.authorizeParams()).toEqual({});
  });

  it('exchanges a code with JSON {client_id, client_secret, code}: no grant_type, no redirect_uri', async () => {
    const http = new FakeHttp(response(200, { access_token: 'at-1' }));
    await lightfunnels(http).exchangeCode({ code: 'code-1', redirectUri: 'https://svc.test/cb', codeVerifier: 'v' });
    const req = http.only;
    expect(req).toMatchObject({ method: 'POST', url: 'https://api.lightfunnels.com/oauth/access_token' });
    expect(req.headers?.Authorization).toBeUndefined();
    expect(jsonOf(req)).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code: 'code-1' });
  });

  it('with LIGHTFUNNELS_CLIENT_AUTH=basic sends only the code, credentials in HTTP Basic', async () => {
    const http = new FakeHttp(response(200, { access_token: 'at-1' }));
    await lightfunnels(http, { LIGHTFUNNELS_CLIENT_AUTH: 'basic' }).exchangeCode({
      code: 'code-1',
      redirectUri: 'https://svc.test/cb',
    });
    expect(jsonOf(http.only)).toEqual({ code: 'code-1' });
    expect(basicOf(http.only)).toEqual({ user: CLIENT_ID, password: CLIENT_SECRET });
  });

  it('refuses to refresh and does not revoke, sending nothing', async () => {
    const http = new FakeHttp();
    await expect(lightfunnels(http).refresh()).rejects.toMatchObject({ kind: 'rejected' });
    expect(await lightfunnels(http).revoke({ accessToken: 'at' })).toBe('unsupported');
    expect(http.requests).toHaveLength(0);
  });

  describe('identify', () => {
    it('posts the GraphQL account query with the token', async () => {
      const http = new FakeHttp(response(200, { data: { account: { id: 42 } } }));
      expect(await lightfunnels(http).identify(tokens)).toEqual({ accountId: '42' });
      expect(http.only).toMatchObject({
        method: 'POST',
        url: GRAPHQL,
        headers: { Authorization: 'Bearer at-1' },
        json: { query: '{ account { id } }' },
      });
    });

    it.each([
      ['GraphQL errors', { errors: [{ message: 'nope' }] }],
      ['a null account', { data: { account: null } }],
      ['an empty id', { data: { account: { id: '' } } }],
    ])('refuses %s as bad_response', async (_name, body) => {
      await expect(lightfunnels(new FakeHttp(response(200, body))).identify(tokens)).rejects.toMatchObject({
        kind: 'bad_response',
      });
    });
  });

  describe('verify', () => {
    it('runs the account query', async () => {
      const http = new FakeHttp(response(200, { data: { account: { id: 'acc-1' } } }));
      expect(await lightfunnels(http).verify('at-3')).toBe('ok');
      expect(http.only).toMatchObject({ method: 'POST', url: GRAPHQL, headers: { Authorization: 'Bearer at-3' } });
    });

    it('throws unauthorized on 401', async () => {
      await expect(lightfunnels(new FakeHttp(response(401, ''))).verify('at')).rejects.toMatchObject({
        kind: 'unauthorized',
      });
    });
  });
});
