import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProviderSettings } from '../../../src/providers/core/provider-settings';
import { TokenSet } from '../../../src/providers/core/token-response';
import { loadGenericProviders } from '../../../src/providers/generic/generic.config';
import { GenericProvider } from '../../../src/providers/generic/generic.provider';
import { basicOf, CLIENT_ID, CLIENT_SECRET, FakeHttp, formOf, jsonOf, response, TOKENS } from '../support/fake-http';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'generic-provider-unit-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Settings as PROVIDERS_FILE and ACME_CLIENT_ID/SECRET give them, so the file's defaults apply. */
function settingsFor(entry: Record<string, unknown> = {}): ProviderSettings {
  const file = path.join(dir, `providers-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify([
      {
        name: 'acme',
        authorizeUrl: 'https://acme.test/oauth/authorize',
        tokenUrl: 'https://acme.test/oauth/token',
        ...entry,
      },
    ]),
  );
  const [settings] = loadGenericProviders(
    { PROVIDERS_FILE: file, ACME_CLIENT_ID: CLIENT_ID, ACME_CLIENT_SECRET: CLIENT_SECRET },
    [],
    3600,
  );
  return settings;
}

const generic = (http: FakeHttp, entry: Record<string, unknown> = {}) =>
  new GenericProvider(settingsFor(entry), http.client);
const tokens = (raw: Record<string, unknown> = {}): TokenSet => ({ accessToken: 'at-1', tokenType: 'Bearer', raw });
const exchange = { code: 'code-1', redirectUri: 'https://svc.test/oauth/acme/callback', codeVerifier: 'verifier-1' };

describe('GenericProvider', () => {
  it('takes its name and scope separator from the file (space by default)', () => {
    const provider = generic(new FakeHttp());
    expect(provider.name).toBe('acme');
    expect(provider.scopeSeparator).toBe(' ');
    expect(provider.authorizeParams()).toEqual({});
    expect(generic(new FakeHttp(), { scopeSeparator: ',' }).scopeSeparator).toBe(',');
    expect(generic(new FakeHttp(), { scopeSeparator: '+' }).scopeSeparator).toBe('+');
  });

  describe('client_secret_basic (the default)', () => {
    it('exchanges a code with a form, the credentials in HTTP Basic only, and the PKCE verifier', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      await generic(http).exchangeCode(exchange);
      const req = http.only;
      expect(req).toMatchObject({ method: 'POST', url: 'https://acme.test/oauth/token' });
      expect(basicOf(req)).toEqual({ user: CLIENT_ID, password: CLIENT_SECRET });
      expect(formOf(req)).toEqual({
        grant_type: 'authorization_code',
        code: 'code-1',
        redirect_uri: 'https://svc.test/oauth/acme/callback',
        code_verifier: 'verifier-1',
      });
    });

    it('refreshes the same way', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      await generic(http).refresh('rt-1');
      expect(basicOf(http.only)).toEqual({ user: CLIENT_ID, password: CLIENT_SECRET });
      expect(formOf(http.only)).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1' });
    });
  });

  describe('client_secret_post', () => {
    it('puts the credentials in the form body and sends no Authorization', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      await generic(http, { clientAuth: 'client_secret_post' }).exchangeCode(exchange);
      expect(http.only.headers?.Authorization).toBeUndefined();
      expect(formOf(http.only)).toEqual({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_type: 'authorization_code',
        code: 'code-1',
        redirect_uri: 'https://svc.test/oauth/acme/callback',
        code_verifier: 'verifier-1',
      });
    });

    it('refreshes with the credentials in the form body', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      await generic(http, { clientAuth: 'client_secret_post' }).refresh('rt-1');
      expect(formOf(http.only)).toEqual({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_type: 'refresh_token',
        refresh_token: 'rt-1',
      });
    });
  });

  describe('json', () => {
    it('sends a JSON body with the credentials in it', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      await generic(http, { clientAuth: 'json' }).exchangeCode(exchange);
      expect(http.only.headers?.Authorization).toBeUndefined();
      expect(jsonOf(http.only)).toEqual({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_type: 'authorization_code',
        code: 'code-1',
        redirect_uri: 'https://svc.test/oauth/acme/callback',
        code_verifier: 'verifier-1',
      });
    });

    it('refreshes in JSON too', async () => {
      const http = new FakeHttp(response(200, TOKENS));
      await generic(http, { clientAuth: 'json' }).refresh('rt-1');
      expect(jsonOf(http.only)).toEqual({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_type: 'refresh_token',
        refresh_token: 'rt-1',
      });
    });
  });

  it('sends no code_verifier without PKCE', async () => {
    const http = new FakeHttp(response(200, TOKENS));
    const provider = generic(http, { pkce: false, clientAuth: 'json' });
    expect(provider.supports.pkce).toBe(false);
    await provider.exchangeCode({ code: 'code-1', redirectUri: 'https://svc.test/cb' });
    expect(Object.keys(http.only.json as object)).not.toContain('code_verifier');
  });

  describe('revoke (RFC 7009)', () => {
    const revokeUrl = 'https://acme.test/oauth/revoke';

    it('is unsupported without a revokeUrl, and sends nothing', async () => {
      const http = new FakeHttp();
      const provider = generic(http);
      expect(provider.supports.revoke).toBe(false);
      expect(await provider.revoke({ accessToken: 'at', refreshToken: 'rt' })).toBe('unsupported');
      expect(http.requests).toHaveLength(0);
    });

    it('revokes the refresh token when there is one (it ends the whole grant)', async () => {
      const http = new FakeHttp(response(200, ''));
      expect(await generic(http, { revokeUrl }).revoke({ accessToken: 'at-1', refreshToken: 'rt-1' })).toBe('revoked');
      expect(http.only).toMatchObject({ method: 'POST', url: revokeUrl });
      expect(formOf(http.only)).toEqual({ token: 'rt-1', token_type_hint: 'refresh_token' });
      expect(basicOf(http.only)).toEqual({ user: CLIENT_ID, password: CLIENT_SECRET });
    });

    it('revokes the access token otherwise', async () => {
      const http = new FakeHttp(response(200, ''));
      await generic(http, { revokeUrl }).revoke({ accessToken: 'at-1' });
      expect(formOf(http.only)).toEqual({ token: 'at-1', token_type_hint: 'access_token' });
    });

    it.each(['client_secret_post', 'json'])('puts the credentials in the form body with %s', async (clientAuth) => {
      const http = new FakeHttp(response(200, ''));
      await generic(http, { revokeUrl, clientAuth }).revoke({ accessToken: 'at-1' });
      expect(http.only.headers?.Authorization).toBeUndefined();
      expect(formOf(http.only)).toEqual({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token: 'at-1',
        token_type_hint: 'access_token',
      });
    });

    it('reports failed on an error answer', async () => {
      expect(await generic(new FakeHttp(response(400, '')), { revokeUrl }).revoke({ accessToken: 'at' })).toBe(
        'failed',
      );
    });
  });

  describe('identify', () => {
    it("is 'default' without accountIdField, without any call", async () => {
      const http = new FakeHttp();
      expect(await generic(http, { userinfoUrl: 'https://acme.test/me' }).identify(tokens({ sub: 'x' }))).toEqual({
        accountId: 'default',
      });
      expect(http.requests).toHaveLength(0);
    });

    it('reads accountIdField from the token response when there is no userinfoUrl', async () => {
      const http = new FakeHttp();
      const provider = generic(http, { accountIdField: 'account.id' });
      expect(await provider.identify(tokens({ account: { id: 77 } }))).toEqual({ accountId: '77' });
      expect(http.requests).toHaveLength(0);
    });

    it('reads accountIdField from the userinfo response when there is a userinfoUrl', async () => {
      const http = new FakeHttp(response(200, { sub: 'user-9' }));
      const provider = generic(http, { accountIdField: 'sub', userinfoUrl: 'https://acme.test/me' });
      expect(await provider.identify(tokens({ sub: 'from-token-response' }))).toEqual({ accountId: 'user-9' });
      expect(http.only).toMatchObject({
        method: 'GET',
        url: 'https://acme.test/me',
        headers: { Authorization: 'Bearer at-1' },
      });
    });

    it.each([
      ['missing', {}],
      ['an object', { sub: { id: 1 } }],
      ['null', { sub: null }],
      ['a boolean', { sub: true }],
    ])('refuses an account id that is %s as bad_response, naming the field', async (_name, raw) => {
      const error = await generic(new FakeHttp(), { accountIdField: 'sub' })
        .identify(tokens(raw))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'bad_response', message: 'The account id field "sub" is missing' });
    });

    it('does not walk into a string or the prototype', async () => {
      const provider = generic(new FakeHttp(), { accountIdField: 'name.length' });
      await expect(provider.identify(tokens({ name: 'abc' }))).rejects.toMatchObject({ kind: 'bad_response' });
    });
  });

  describe('verify', () => {
    it('is unsupported without a userinfoUrl', async () => {
      const http = new FakeHttp();
      expect(await generic(http).verify('at')).toBe('unsupported');
      expect(http.requests).toHaveLength(0);
    });

    it('calls the userinfoUrl with the token', async () => {
      const http = new FakeHttp(response(200, {}));
      expect(await generic(http, { userinfoUrl: 'https://acme.test/me' }).verify('at-5')).toBe('ok');
      expect(http.only).toMatchObject({ url: 'https://acme.test/me', headers: { Authorization: 'Bearer at-5' } });
    });

    it('throws unauthorized on 401', async () => {
      const provider = generic(new FakeHttp(response(401, '')), { userinfoUrl: 'https://acme.test/me' });
      await expect(provider.verify('at')).rejects.toMatchObject({ kind: 'unauthorized' });
    });
  });
});
