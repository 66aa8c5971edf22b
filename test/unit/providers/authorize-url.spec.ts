import { createHash } from 'node:crypto';
import { callbackUrl, ProviderDefinition } from '../../../src/providers/core/provider-catalog';
import { FlowStateStore } from '../../../src/providers/core/oauth-strategy';
import { ProviderError } from '../../../src/providers/core/provider-errors';
import { ProviderSettings } from '../../../src/providers/core/provider-settings';
import { clickfunnelsSpec } from '../../../src/providers/clickfunnels/clickfunnels.config';
import { clickfunnels } from '../../../src/providers/clickfunnels/clickfunnels.module';
import { clickfunnelsClassicSpec } from '../../../src/providers/clickfunnels-classic/clickfunnels-classic.config';
import { clickfunnelsClassic } from '../../../src/providers/clickfunnels-classic/clickfunnels-classic.module';
import { GenericProvider } from '../../../src/providers/generic/generic.provider';
import { genericStrategyClass } from '../../../src/providers/generic/generic.strategy';
import { keapSpec } from '../../../src/providers/keap/keap.config';
import { keap } from '../../../src/providers/keap/keap.module';
import { lightfunnelsSpec } from '../../../src/providers/lightfunnels/lightfunnels.config';
import { lightfunnels } from '../../../src/providers/lightfunnels/lightfunnels.module';
import { webflowSpec } from '../../../src/providers/webflow/webflow.config';
import { webflow } from '../../../src/providers/webflow/webflow.module';
import { CLIENT_ID, FakeHttp, response, settings, settingsFromSpec, TOKENS } from '../support/fake-http';

const PUBLIC_URL = 'https://connect.example.test';

type StoreCallback = (err: Error | null, state?: string) => void;
type VerifyCallback = (err: Error | null, ok?: string | boolean) => void;

/**
 * passport-oauth2's state store, in memory: one state, and the PKCE verifier it was stored with. Passport
 * picks the PKCE-aware forms by argument count (5 for store, 4 for verify), so every parameter is declared.
 */
class MemoryStateStore implements FlowStateStore {
  verifier: string | undefined;
  store(_req: unknown, verifier: string | undefined, _state: unknown, _meta: unknown, callback: StoreCallback): void {
    this.verifier = verifier;
    callback(null, 'state-1');
  }
  verify(_req: unknown, state: string, _meta: unknown, callback: VerifyCallback): void {
    callback(null, state === 'state-1' ? (this.verifier ?? true) : false);
  }
}

interface Outcome {
  redirect?: string;
  success?: unknown;
  error?: unknown;
  fail?: unknown;
}

/** Runs one step of the strategy as Passport would, capturing where it ends. */
function run(
  definition: ProviderDefinition,
  providerSettings: ProviderSettings,
  http: FakeHttp,
  req: { query: Record<string, string> },
  options: { scope?: string[] } = {},
) {
  const provider = definition.create(providerSettings, http.client);
  const store = new MemoryStateStore();
  const strategy = new definition.Strategy(provider, store, callbackUrl(PUBLIC_URL, provider.name)) as unknown as {
    authenticate(req: unknown, options: unknown): void;
    redirect(url: string): void;
    success(user: unknown): void;
    error(err: unknown): void;
    fail(info: unknown): void;
  };
  return {
    store,
    go: (request = req) =>
      new Promise<Outcome>((resolve) => {
        strategy.redirect = (url) => resolve({ redirect: url });
        strategy.success = (user) => resolve({ success: user });
        strategy.error = (err) => resolve({ error: err });
        strategy.fail = (info) => resolve({ fail: info });
        strategy.authenticate(request, { session: false, ...options });
      }),
  };
}

async function authorizeUrl(definition: ProviderDefinition, s: ProviderSettings, scope?: string[]): Promise<URL> {
  const outcome = await run(definition, s, new FakeHttp(), { query: {} }, { scope }).go();
  expect(outcome.redirect).toBeDefined();
  return new URL(outcome.redirect!);
}

const S256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

describe('authorize URL, per provider', () => {
  it('Keap: the standard parameters, space-separated scope, no PKCE', async () => {
    const url = await authorizeUrl(keap, settingsFromSpec(keapSpec), ['full']);
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.infusionsoft.com/app/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: `${PUBLIC_URL}/oauth/keap/callback`,
      scope: 'full',
      state: 'state-1',
    });
  });

  it('Webflow: scopes joined by a space, encoded %20 (not +)', async () => {
    const url = await authorizeUrl(webflow, settingsFromSpec(webflowSpec), ['authorized_user:read', 'sites:read']);
    expect(url.searchParams.get('scope')).toBe('authorized_user:read sites:read');
    expect(url.search).toContain('scope=authorized_user%3Aread%20sites%3Aread');
    expect(url.searchParams.has('code_challenge')).toBe(false);
  });

  it('Lightfunnels: scopes joined by a comma', async () => {
    const url = await authorizeUrl(lightfunnels, settingsFromSpec(lightfunnelsSpec), ['orders', 'products']);
    expect(url.searchParams.get('scope')).toBe('orders,products');
    expect(url.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/oauth/lightfunnels/callback`);
  });

  it('ClickFunnels 2.0: grant_type and new_installation, PKCE S256, no scope', async () => {
    const s = settingsFromSpec(clickfunnelsSpec);
    const { store, go } = run(clickfunnels, s, new FakeHttp(), { query: {} });
    const url = new URL((await go()).redirect!);
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.myclickfunnels.com/oauth/authorize');
    expect(url.searchParams.get('grant_type')).toBe('authorization_code');
    expect(url.searchParams.get('new_installation')).toBe('true');
    expect(url.searchParams.has('scope')).toBe(false);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(store.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('code_challenge')).toBe(S256(store.verifier!));
    expect(url.search).not.toContain(store.verifier);
  });

  it('ClickFunnels Classic: no PKCE', async () => {
    const url = await authorizeUrl(clickfunnelsClassic, settingsFromSpec(clickfunnelsClassicSpec));
    expect(url.searchParams.has('code_challenge')).toBe(false);
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
  });

  it('generic: its own separator, and PKCE as configured', async () => {
    const generic: ProviderDefinition = {
      name: 'acme',
      create: (s, http) => new GenericProvider(s, http),
      Strategy: genericStrategyClass('acme'),
    };
    const options = { clientAuth: 'client_secret_basic', scopeSeparator: '+', pkce: true };
    const s = settings({ name: 'acme', extra: { generic: options } });
    const url = await authorizeUrl(generic, s, ['read', 'write']);
    expect(url.searchParams.get('scope')).toBe('read+write');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const noPkce = settings({
      name: 'acme',
      supports: { ...s.supports, pkce: false },
      extra: { generic: { ...options, pkce: false } },
    });
    expect((await authorizeUrl(generic, noPkce, ['read'])).searchParams.has('code_challenge')).toBe(false);
  });
});

describe('callback: the code goes to the provider’s own token call', () => {
  it('ClickFunnels: exchanges the code with the callback URL and the stored verifier', async () => {
    const http = new FakeHttp(response(200, { ...TOKENS, workspace_id: 1 }));
    const { store, go } = run(clickfunnels, settingsFromSpec(clickfunnelsSpec), http, { query: {} });
    await go();
    const outcome = await go({ query: { code: 'code-1', state: 'state-1' } });
    expect(outcome.success).toMatchObject({ accessToken: 'at-1', refreshToken: 'rt-1', raw: { workspace_id: 1 } });
    expect(http.only.json).toMatchObject({
      code: 'code-1',
      grant_type: 'authorization_code',
      redirect_uri: `${PUBLIC_URL}/oauth/clickfunnels/callback`,
      code_verifier: store.verifier,
    });
  });

  it('Keap: a form token call without a verifier', async () => {
    const http = new FakeHttp(response(200, TOKENS));
    const { go } = run(keap, settingsFromSpec(keapSpec), http, { query: {} });
    await go();
    const outcome = await go({ query: { code: 'code-2', state: 'state-1' } });
    expect(outcome.success).toMatchObject({ accessToken: 'at-1' });
    expect(http.only.form).toMatchObject({ code: 'code-2', redirect_uri: `${PUBLIC_URL}/oauth/keap/callback` });
    expect(http.only.form?.code_verifier).toBeUndefined();
  });

  it('hands a token endpoint failure to Passport as an error, with the ProviderError inside', async () => {
    const http = new FakeHttp(response(400, { error: 'invalid_grant' }));
    const { go } = run(keap, settingsFromSpec(keapSpec), http, { query: {} });
    await go();
    const outcome = await go({ query: { code: 'code-3', state: 'state-1' } });
    // passport-oauth2 wraps it in an InternalOAuthError; the flow reads the ProviderError from oauthError.
    const error = outcome.error as { name: string; oauthError: unknown };
    expect(error.name).toBe('InternalOAuthError');
    expect(error.oauthError).toBeInstanceOf(ProviderError);
    expect(error.oauthError).toMatchObject({ kind: 'invalid_grant' });
  });

  it('makes no token call for an unknown state', async () => {
    const http = new FakeHttp(response(200, TOKENS));
    const { go } = run(keap, settingsFromSpec(keapSpec), http, { query: {} });
    await go();
    expect(await go({ query: { code: 'code-4', state: 'forged' } })).toHaveProperty('fail');
    expect(http.requests).toHaveLength(0);
  });
});
