import { clickfunnelsClassicSpec } from '../../../src/providers/clickfunnels-classic/clickfunnels-classic.config';
import { ClickfunnelsClassicProvider } from '../../../src/providers/clickfunnels-classic/clickfunnels-classic.provider';
import { CLIENT_ID, CLIENT_SECRET, FakeHttp, jsonOf, response, settingsFromSpec } from '../support/fake-http';

const classic = (http: FakeHttp) =>
  new ClickfunnelsClassicProvider(settingsFromSpec(clickfunnelsClassicSpec), http.client);
const TOKEN_URL = 'https://app.clickfunnels.com/oauth/token';

describe('ClickfunnelsClassicProvider', () => {
  it('uses space-separated scopes and no extra authorize parameters', () => {
    const provider = classic(new FakeHttp());
    expect(provider.name).toBe('clickfunnels-classic');
    expect(provider.scopeSeparator).toBe(' ');
    expect(provider.authorizeParams()).toEqual({});
  });

  it('exchanges a code with JSON, credentials in the body, no PKCE verifier', async () => {
    const http = new FakeHttp(response(200, { access_token: 'at-1', refresh_token: 'rt-1', expires_in: 7200 }));
    const result = await classic(http).exchangeCode({
      code: 'code-1',
      redirectUri: 'https://svc.test/oauth/clickfunnels-classic/callback',
      codeVerifier: 'not-sent',
    });
    expect(http.only).toMatchObject({ method: 'POST', url: TOKEN_URL });
    expect(http.only.headers?.Authorization).toBeUndefined();
    expect(jsonOf(http.only)).toEqual({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      code: 'code-1',
      grant_type: 'authorization_code',
      redirect_uri: 'https://svc.test/oauth/clickfunnels-classic/callback',
    });
    expect(result).toMatchObject({ accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 7200 });
  });

  it('refreshes with JSON, credentials in the body', async () => {
    const http = new FakeHttp(response(200, { access_token: 'at-2', refresh_token: 'rt-2' }));
    await classic(http).refresh('rt-1');
    expect(http.only.url).toBe(TOKEN_URL);
    expect(jsonOf(http.only)).toEqual({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      refresh_token: 'rt-1',
      grant_type: 'refresh_token',
    });
  });

  it('has one connection per owner, no whoami and no revocation, without calling anyone', async () => {
    const http = new FakeHttp();
    const provider = classic(http);
    expect(await provider.identify()).toEqual({ accountId: 'default' });
    expect(await provider.verify()).toBe('unsupported');
    expect(await provider.revoke({ accessToken: 'at' })).toBe('unsupported');
    expect(http.requests).toHaveLength(0);
  });
});
