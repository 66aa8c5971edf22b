import { ProviderError } from '../../../src/providers/core/provider-errors';
import { keapSpec } from '../../../src/providers/keap/keap.config';
import { keapAppFromScope, KeapProvider } from '../../../src/providers/keap/keap.provider';
import { TokenSet } from '../../../src/providers/core/token-response';
import {
  basicOf,
  CLIENT_ID,
  CLIENT_SECRET,
  FakeHttp,
  formOf,
  response,
  settingsFromSpec,
  TOKENS,
} from '../support/fake-http';

const keap = (http: FakeHttp) => new KeapProvider(settingsFromSpec(keapSpec), http.client);
const tokens = (scope?: string): TokenSet => ({ accessToken: 'at-1', tokenType: 'Bearer', scope, raw: {} });
const USERINFO = 'https://api.infusionsoft.com/crm/rest/v1/oauth/connect/userinfo';

describe('KeapProvider', () => {
  it('uses space-separated scopes and no extra authorize parameters', () => {
    const provider = keap(new FakeHttp());
    expect(provider.name).toBe('keap');
    expect(provider.scopeSeparator).toBe(' ');
    expect(provider.authorizeParams()).toEqual({});
    expect(provider.supports).toEqual({ refresh: true, revoke: false, pkce: false, verify: true });
  });

  it('exchanges a code with a form carrying the client credentials in the body', async () => {
    const http = new FakeHttp(response(200, TOKENS));
    const result = await keap(http).exchangeCode({
      code: 'code-1',
      redirectUri: 'https://svc.test/oauth/keap/callback',
      codeVerifier: 'ignored-verifier',
    });
    const req = http.only;
    expect(req).toMatchObject({ method: 'POST', url: 'https://api.infusionsoft.com/token' });
    expect(req.headers?.Authorization).toBeUndefined();
    expect(formOf(req)).toEqual({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      code: 'code-1',
      grant_type: 'authorization_code',
      redirect_uri: 'https://svc.test/oauth/keap/callback',
    });
    expect(result).toMatchObject({ accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 3600 });
  });

  it('refreshes with a form and the client credentials in an HTTP Basic header only', async () => {
    const http = new FakeHttp(response(200, { ...TOKENS, refresh_token: 'rt-2' }));
    const result = await keap(http).refresh('rt-1');
    const req = http.only;
    expect(req).toMatchObject({ method: 'POST', url: 'https://api.infusionsoft.com/token' });
    expect(formOf(req)).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1' });
    expect(basicOf(req)).toEqual({ user: CLIENT_ID, password: CLIENT_SECRET });
    expect(result.refreshToken).toBe('rt-2');
  });

  it('surfaces a dead refresh token as invalid_grant', async () => {
    const http = new FakeHttp(response(400, { error: 'invalid_grant', error_description: 'Invalid refresh token' }));
    await expect(keap(http).refresh('rt-dead')).rejects.toMatchObject({ kind: 'invalid_grant' });
  });

  it('does not revoke (no endpoint) and sends nothing', async () => {
    const http = new FakeHttp();
    expect(await keap(http).revoke({ accessToken: 'at', refreshToken: 'rt' })).toBe('unsupported');
    expect(http.requests).toHaveLength(0);
  });

  describe('identify', () => {
    it('takes the app from the token scope `full|ab123.infusionsoft.com` without any call', async () => {
      const http = new FakeHttp();
      expect(await keap(http).identify(tokens('full|ab123.infusionsoft.com'))).toEqual({ accountId: 'ab123' });
      expect(http.requests).toHaveLength(0);
    });

    it('asks userinfo, with the access token, when the scope names no app', async () => {
      const http = new FakeHttp(response(200, { infusionsoft_id: 'xy789.infusionsoft.com', global_user_id: 5 }));
      expect(await keap(http).identify(tokens('full'))).toEqual({ accountId: 'xy789' });
      expect(http.only).toMatchObject({ method: 'GET', url: USERINFO, headers: { Authorization: 'Bearer at-1' } });
    });

    it.each([
      ['a bare infusionsoft_id', { infusionsoft_id: 'xy789' }, 'xy789'],
      ['only a numeric global_user_id', { global_user_id: 12345 }, '12345'],
      ['a null infusionsoft_id', { infusionsoft_id: null, global_user_id: 'g-1' }, 'g-1'],
    ])('falls back to %s', async (_name, body, expected) => {
      expect(await keap(new FakeHttp(response(200, body))).identify(tokens())).toEqual({ accountId: expected });
    });

    // An empty (or blank) infusionsoft_id is no id: the next field decides, never `""` as the account.
    it.each([
      ['an empty infusionsoft_id', { infusionsoft_id: '', global_user_id: 'g-1' }, 'g-1'],
      ['a blank infusionsoft_id', { infusionsoft_id: '  ', global_user_id: 77 }, '77'],
      ['an infusionsoft_id of only the domain', { infusionsoft_id: '.infusionsoft.com', global_user_id: 8 }, '8'],
      ['an infusionsoft_id that is not text', { infusionsoft_id: { id: 'x' }, global_user_id: 'g-2' }, 'g-2'],
      ['a missing infusionsoft_id', { global_user_id: 'g-3' }, 'g-3'],
    ])('falls back to global_user_id past %s', async (_name, body, expected) => {
      expect(await keap(new FakeHttp(response(200, body))).identify(tokens())).toEqual({ accountId: expected });
    });

    it.each([
      ['no fields', {}],
      ['both empty', { infusionsoft_id: '', global_user_id: '' }],
      ['both blank', { infusionsoft_id: ' ', global_user_id: '\t' }],
      ['both null', { infusionsoft_id: null, global_user_id: null }],
      ['an empty infusionsoft_id and no global_user_id', { infusionsoft_id: '' }],
      ['ids that are not text or whole numbers', { infusionsoft_id: ['a'], global_user_id: 1.5 }],
      ['a JSON null answer', null],
    ])('refuses a userinfo with %s as bad_response, never an empty account id', async (_name, body) => {
      const error = await keap(new FakeHttp(response(200, body)))
        .identify(tokens())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ kind: 'bad_response' });
    });

    it('reports a userinfo 401 as unauthorized', async () => {
      await expect(keap(new FakeHttp(response(401, ''))).identify(tokens())).rejects.toMatchObject({
        kind: 'unauthorized',
      });
    });
  });

  describe('verify', () => {
    it('calls userinfo with the token', async () => {
      const http = new FakeHttp(response(200, { global_user_id: 1 }));
      expect(await keap(http).verify('at-7')).toBe('ok');
      expect(http.only).toMatchObject({ method: 'GET', url: USERINFO, headers: { Authorization: 'Bearer at-7' } });
    });

    it.each([
      [401, 'unauthorized'],
      [403, 'forbidden'],
    ])('throws on %i as %s', async (status, kind) => {
      await expect(keap(new FakeHttp(response(status, ''))).verify('at')).rejects.toMatchObject({ kind });
    });
  });

  describe('grantedScopes', () => {
    const provider = keap(new FakeHttp());
    it.each([
      ['full|ab123.infusionsoft.com', ['full']],
      ['full|ab123.infusionsoft.com other', ['full', 'other']],
      ['full', ['full']],
    ])('reads %j as %j', (scope, expected) => {
      expect(provider.grantedScopes(tokens(scope), ['requested'])).toEqual(expected);
    });

    it('falls back to the requested scopes without a scope', () => {
      expect(provider.grantedScopes(tokens(), ['full'])).toEqual(['full']);
      expect(provider.grantedScopes(tokens(' '), ['full'])).toEqual(['full']);
    });
  });
});

describe('keapAppFromScope', () => {
  it.each([
    ['full|ab123.infusionsoft.com', 'ab123'],
    ['full|AB-12.infusionsoft.com', 'AB-12'],
    ['|ab123.infusionsoft.com', 'ab123'],
    ['full', undefined],
    ['full|ab123.example.com', undefined],
    ['full|ab123infusionsoftXcom', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (scope, expected) => {
    expect(keapAppFromScope(scope)).toBe(expected);
  });
});
