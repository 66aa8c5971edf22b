import { clickfunnelsSpec } from '../../../src/providers/clickfunnels/clickfunnels.config';
import { ClickfunnelsProvider } from '../../../src/providers/clickfunnels/clickfunnels.provider';
import { TokenSet } from '../../../src/providers/core/token-response';
import { CLIENT_ID, CLIENT_SECRET, FakeHttp, formOf, jsonOf, response, settingsFromSpec } from '../support/fake-http';

const clickfunnels = (http: FakeHttp) => new ClickfunnelsProvider(settingsFromSpec(clickfunnelsSpec), http.client);
const withRaw = (raw: Record<string, unknown>): TokenSet => ({ accessToken: 'at-1', tokenType: 'Bearer', raw });
const TOKEN_URL = 'https://accounts.myclickfunnels.com/oauth/token';

describe('ClickfunnelsProvider', () => {
  it('adds grant_type and new_installation to the authorize URL', () => {
    const provider = clickfunnels(new FakeHttp());
    expect(provider.scopeSeparator).toBe(' ');
    expect(provider.authorizeParams()).toEqual({ grant_type: 'authorization_code', new_installation: 'true' });
  });

  it('exchanges a code with JSON, credentials in the body, and the PKCE verifier', async () => {
    const http = new FakeHttp(response(200, { access_token: 'at-1', workspace_id: 1 }));
    await clickfunnels(http).exchangeCode({
      code: 'code-1',
      redirectUri: 'https://svc.test/oauth/clickfunnels/callback',
      codeVerifier: 'verifier-1',
    });
    const req = http.only;
    expect(req).toMatchObject({ method: 'POST', url: TOKEN_URL });
    expect(req.headers?.Authorization).toBeUndefined();
    expect(jsonOf(req)).toEqual({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      code: 'code-1',
      grant_type: 'authorization_code',
      redirect_uri: 'https://svc.test/oauth/clickfunnels/callback',
      code_verifier: 'verifier-1',
    });
  });

  it('leaves code_verifier out without PKCE', async () => {
    const http = new FakeHttp(response(200, { access_token: 'at-1' }));
    await clickfunnels(http).exchangeCode({ code: 'code-1', redirectUri: 'https://svc.test/cb' });
    expect(Object.keys(http.only.json as object)).not.toContain('code_verifier');
  });

  it('refreshes with the Doorkeeper refresh grant in JSON', async () => {
    const http = new FakeHttp(response(200, { access_token: 'at-2' }));
    await clickfunnels(http).refresh('rt-1');
    expect(http.only.url).toBe(TOKEN_URL);
    expect(jsonOf(http.only)).toEqual({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_type: 'refresh_token',
      refresh_token: 'rt-1',
    });
  });

  it('revokes the access token per RFC 7009: a form with the credentials', async () => {
    const http = new FakeHttp(response(200, '{}'));
    expect(await clickfunnels(http).revoke({ accessToken: 'at-1' })).toBe('revoked');
    expect(http.only).toMatchObject({ method: 'POST', url: 'https://accounts.myclickfunnels.com/oauth/revoke' });
    expect(formOf(http.only)).toEqual({ token: 'at-1', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(http.only.headers?.Authorization).toBeUndefined();
  });

  describe('identify', () => {
    it('is the workspace the user picked, from the token response alone', async () => {
      const http = new FakeHttp();
      const identity = await clickfunnels(http).identify(
        withRaw({
          workspace_id: 321,
          workspace_name: 'Main',
          workspace_url: 'https://main.myclickfunnels.com',
          team_id: '12',
          team_name: 'Acme',
        }),
      );
      expect(identity).toEqual({
        accountId: '321',
        workspaceId: '321',
        workspaceName: 'Main',
        teamId: '12',
        teamName: 'Acme',
        apiBaseUrl: 'https://main.myclickfunnels.com',
      });
      expect(http.requests).toHaveLength(0);
    });

    it('nulls what is missing or not a string/number', async () => {
      const identity = await clickfunnels(new FakeHttp()).identify(
        withRaw({ workspace_id: 'w1', team_id: { id: 1 }, team_name: null }),
      );
      expect(identity).toEqual({
        accountId: 'w1',
        workspaceId: 'w1',
        workspaceName: null,
        teamId: null,
        teamName: null,
        apiBaseUrl: null,
      });
    });

    it.each(['javascript:alert(1)', 'ftp://files.test', '//evil.test', 'main.myclickfunnels.com'])(
      'ignores a workspace_url %j that is not http(s)',
      async (workspaceUrl) => {
        const identity = await clickfunnels(new FakeHttp()).identify(
          withRaw({ workspace_id: 1, workspace_url: workspaceUrl }),
        );
        expect(identity.apiBaseUrl).toBeNull();
      },
    );

    it.each([
      'https://evil.test/api/v2',
      'http://main.myclickfunnels.com',
      'https://myclickfunnels.com.evil.test',
      'https://evilmyclickfunnels.com',
      'https://user:pw@main.myclickfunnels.com',
      'http://127.0.0.1:4000/sandbox/clickfunnels/api/workspaces/1',
    ])(
      'keeps the default API base for a workspace_url %j not https under CLICKFUNNELS_WORKSPACE_HOSTS',
      async (url) => {
        const identity = await clickfunnels(new FakeHttp()).identify(withRaw({ workspace_id: 1, workspace_url: url }));
        expect(identity.apiBaseUrl).toBeNull();
      },
    );

    it('accepts the hosts CLICKFUNNELS_WORKSPACE_HOSTS names, and the origin a stand-in declares', async () => {
      const custom = new ClickfunnelsProvider(
        settingsFromSpec(clickfunnelsSpec, { CLICKFUNNELS_WORKSPACE_HOSTS: 'cf.example.test, other.test' }),
        new FakeHttp().client,
      );
      const raw = (url: string) => withRaw({ workspace_id: 1, workspace_url: url });
      expect((await custom.identify(raw('https://ws.cf.example.test/api'))).apiBaseUrl).toBe(
        'https://ws.cf.example.test/api',
      );
      expect((await custom.identify(raw('https://main.myclickfunnels.com'))).apiBaseUrl).toBeNull();
      const simulated = new ClickfunnelsProvider(
        { ...settingsFromSpec(clickfunnelsSpec), trustedApiOrigins: ['http://127.0.0.1:4000'] },
        new FakeHttp().client,
      );
      const local = 'http://127.0.0.1:4000/sandbox/clickfunnels/api/workspaces/1';
      expect((await simulated.identify(raw(local))).apiBaseUrl).toBe(local);
      expect((await simulated.identify(raw('http://127.0.0.1:4001/x'))).apiBaseUrl).toBeNull();
    });

    it.each([{}, { workspace_id: '' }, { workspace_id: null }])(
      'refuses a token response without workspace_id (%j) as bad_response',
      async (raw) => {
        await expect(clickfunnels(new FakeHttp()).identify(withRaw(raw))).rejects.toMatchObject({
          kind: 'bad_response',
        });
      },
    );
  });

  describe('verify', () => {
    it('lists the teams with the token', async () => {
      const http = new FakeHttp(response(200, []));
      expect(await clickfunnels(http).verify('at-4')).toBe('ok');
      expect(http.only).toMatchObject({
        method: 'GET',
        url: 'https://accounts.myclickfunnels.com/api/v2/teams',
        headers: { Authorization: 'Bearer at-4' },
      });
    });

    it('throws unauthorized on 401', async () => {
      await expect(clickfunnels(new FakeHttp(response(401, ''))).verify('at')).rejects.toMatchObject({
        kind: 'unauthorized',
      });
    });
  });
});
