import { HttpTransportError } from '../../../src/common/http-client';
import { webflowSpec } from '../../../src/providers/webflow/webflow.config';
import { WebflowProvider } from '../../../src/providers/webflow/webflow.provider';
import { OAuthProvider } from '../../../src/providers/core/provider';
import { TokenSet } from '../../../src/providers/core/token-response';
import { CLIENT_ID, CLIENT_SECRET, FakeHttp, jsonOf, response, settingsFromSpec } from '../support/fake-http';

const webflow = (http: FakeHttp, env: Record<string, string> = {}) =>
  new WebflowProvider(settingsFromSpec(webflowSpec, env), http.client);
const tokens: TokenSet = { accessToken: 'at-1', tokenType: 'Bearer', raw: {} };
const AUTHORIZED_BY = 'https://api.webflow.com/v2/token/authorized_by';

describe('WebflowProvider', () => {
  it('uses space-separated scopes and no extra authorize parameters', () => {
    const provider = webflow(new FakeHttp());
    expect(provider.scopeSeparator).toBe(' ');
    expect(provider.authorizeParams()).toEqual({});
  });

  it('exchanges a code with JSON repeating redirect_uri, credentials in the body', async () => {
    const http = new FakeHttp(response(200, { access_token: 'at-1', token_type: 'bearer' }));
    const result = await webflow(http).exchangeCode({
      code: 'code-1',
      redirectUri: 'https://svc.test/oauth/webflow/callback',
    });
    const req = http.only;
    expect(req).toMatchObject({ method: 'POST', url: 'https://api.webflow.com/oauth/access_token' });
    expect(req.headers?.Authorization).toBeUndefined();
    expect(jsonOf(req)).toEqual({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      code: 'code-1',
      grant_type: 'authorization_code',
      redirect_uri: 'https://svc.test/oauth/webflow/callback',
    });
    expect(result).toMatchObject({ accessToken: 'at-1', refreshToken: undefined, expiresIn: undefined });
  });

  it('refuses to refresh without calling anyone (tokens do not expire)', async () => {
    const http = new FakeHttp();
    await expect(webflow(http).refresh()).rejects.toMatchObject({ kind: 'rejected' });
    expect(http.requests).toHaveLength(0);
  });

  describe('revoke', () => {
    it('posts JSON {client_id, client_secret, access_token} to revoke_authorization', async () => {
      const http = new FakeHttp(response(200, { didRevoke: true }));
      const provider: OAuthProvider = webflow(http);
      expect(await provider.revoke({ accessToken: 'at-1', refreshToken: 'ignored' })).toBe('revoked');
      const req = http.only;
      expect(req).toMatchObject({ method: 'POST', url: 'https://webflow.com/oauth/revoke_authorization' });
      expect(req.headers?.Authorization).toBeUndefined();
      expect(jsonOf(req)).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, access_token: 'at-1' });
    });

    it('uses WEBFLOW_REVOKE_URL when set', async () => {
      const http = new FakeHttp(response(200, {}));
      await webflow(http, { WEBFLOW_REVOKE_URL: 'https://revoke.test/r' }).revoke({ accessToken: 'at' });
      expect(http.only.url).toBe('https://revoke.test/r');
    });

    it('reports failed on an error answer or no answer', async () => {
      expect(await webflow(new FakeHttp(response(400, { err: 'x' }))).revoke({ accessToken: 'at' })).toBe('failed');
      const timeout = new HttpTransportError('timeout', 'https://webflow.com/oauth/revoke_authorization');
      expect(await webflow(new FakeHttp(timeout)).revoke({ accessToken: 'at' })).toBe('failed');
    });
  });

  describe('identify', () => {
    it('is the authorizing user from token/authorized_by', async () => {
      const http = new FakeHttp(response(200, { id: 'user-1', email: 'a@b.test' }));
      expect(await webflow(http).identify(tokens)).toEqual({ accountId: 'user-1' });
      expect(http.only).toMatchObject({
        method: 'GET',
        url: AUTHORIZED_BY,
        headers: { Authorization: 'Bearer at-1' },
      });
    });

    it.each([
      ['no id', { email: 'a@b.test' }],
      ['an empty id', { id: '' }],
      ['null', null],
    ])('refuses an answer with %s as bad_response', async (_name, body) => {
      await expect(webflow(new FakeHttp(response(200, body))).identify(tokens)).rejects.toMatchObject({
        kind: 'bad_response',
      });
    });
  });

  describe('verify', () => {
    it('calls authorized_by with the token', async () => {
      const http = new FakeHttp(response(200, { id: 'user-1' }));
      expect(await webflow(http).verify('at-2')).toBe('ok');
      expect(http.only).toMatchObject({ url: AUTHORIZED_BY, headers: { Authorization: 'Bearer at-2' } });
    });

    it('throws unauthorized on 401', async () => {
      await expect(webflow(new FakeHttp(response(401, {}))).verify('at')).rejects.toMatchObject({
        kind: 'unauthorized',
      });
    });
  });
});
