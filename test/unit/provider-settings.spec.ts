import { ConfigError } from '../../src/config/env';
import { readProviderSettings } from '../../src/providers/core/provider-settings';
import { clickfunnelsClassicSpec } from '../../src/providers/clickfunnels-classic/clickfunnels-classic.config';
import { clickfunnelsSpec } from '../../src/providers/clickfunnels/clickfunnels.config';
import { keapSpec } from '../../src/providers/keap/keap.config';
import { LIGHTFUNNELS_TOKEN_URLS, lightfunnelsSpec } from '../../src/providers/lightfunnels/lightfunnels.config';
import { LightfunnelsProvider } from '../../src/providers/lightfunnels/lightfunnels.provider';
import { loadProvidersConfig } from '../../src/providers/providers.config';
import { webflowSpec } from '../../src/providers/webflow/webflow.config';
import { basicOf, FakeHttp, jsonOf, response } from './support/fake-http';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('<P>_REVOKE_URL (issue 27)', () => {
  it.each([
    ['KEAP', keapSpec],
    ['LIGHTFUNNELS', lightfunnelsSpec],
    ['CLICKFUNNELS_CLASSIC', clickfunnelsClassicSpec],
  ])('is refused for %s, which has no revoke call, naming the variable and not the value', (prefix, spec) => {
    expect(spec.supports.revoke).toBe(false);
    const error = configError(() =>
      readProviderSettings(spec, { [`${prefix}_REVOKE_URL`]: 'https://secret-host.test/revoke' }, 3600),
    );
    expect(error.problems).toEqual([
      `${prefix}_REVOKE_URL: ${spec.displayName} has no revoke call, so this variable would do nothing; unset it (deleting a connection only forgets its tokens)`,
    ]);
    expect(error.message).not.toContain('secret-host');
  });

  it('stops the whole configuration, as the app start reads it', () => {
    const error = configError(() => loadProvidersConfig({ KEAP_REVOKE_URL: 'https://x.test/revoke' }));
    expect(error.message).toContain('KEAP_REVOKE_URL');
  });

  it.each(['', '   '])('is fine empty (%j counts as unset, as in .env.example)', (value) => {
    expect(readProviderSettings(keapSpec, { KEAP_REVOKE_URL: value }, 3600).revokeUrl).toBeUndefined();
  });

  it.each([
    ['WEBFLOW', webflowSpec],
    ['CLICKFUNNELS', clickfunnelsSpec],
  ])('is read for %s, which revokes', (prefix, spec) => {
    expect(readProviderSettings(spec, { [`${prefix}_REVOKE_URL`]: 'http://127.0.0.1:1/r' }, 3600).revokeUrl).toBe(
      'http://127.0.0.1:1/r',
    );
    expect(readProviderSettings(spec, {}, 3600).revokeUrl).toBe(spec.defaults.revokeUrl);
  });

  it('ClickFunnels 2.0 revokes, Classic does not: the prefixes do not mix', () => {
    const env = { CLICKFUNNELS_REVOKE_URL: 'http://127.0.0.1:1/r' };
    expect(readProviderSettings(clickfunnelsSpec, env, 3600).revokeUrl).toBe('http://127.0.0.1:1/r');
    expect(readProviderSettings(clickfunnelsClassicSpec, env, 3600).revokeUrl).toBeUndefined();
  });
});

describe('LIGHTFUNNELS_CLIENT_AUTH and the token URL (issue 27)', () => {
  const read = (env: Record<string, string>) => readProviderSettings(lightfunnelsSpec, env, 3600);

  it('json (the default) uses the /oauth/access_token endpoint', () => {
    expect(read({}).tokenUrl).toBe('https://api.lightfunnels.com/oauth/access_token');
    expect(read({ LIGHTFUNNELS_CLIENT_AUTH: 'json' }).tokenUrl).toBe(LIGHTFUNNELS_TOKEN_URLS.json);
  });

  it('basic without LIGHTFUNNELS_TOKEN_URL uses the older /api/access_token endpoint', () => {
    expect(read({ LIGHTFUNNELS_CLIENT_AUTH: 'basic' }).tokenUrl).toBe('https://api.lightfunnels.com/api/access_token');
    expect(read({ LIGHTFUNNELS_CLIENT_AUTH: 'basic', LIGHTFUNNELS_TOKEN_URL: ' ' }).tokenUrl).toBe(
      LIGHTFUNNELS_TOKEN_URLS.basic,
    );
  });

  it.each([
    ['basic', 'http://127.0.0.1:9/lf/token'],
    ['json', 'http://127.0.0.1:9/lf/token'],
    ['basic', 'https://api.lightfunnels.com/api/access_token'],
    ['json', 'https://api.lightfunnels.com/oauth/access_token'],
  ])('%s with LIGHTFUNNELS_TOKEN_URL %s keeps that URL', (auth, url) => {
    expect(read({ LIGHTFUNNELS_CLIENT_AUTH: auth, LIGHTFUNNELS_TOKEN_URL: url }).tokenUrl).toBe(url);
  });

  it.each([
    ['basic', 'https://api.lightfunnels.com/oauth/access_token', 'json'],
    ['basic', 'https://API.lightfunnels.com/oauth/access_token/?x=1', 'json'],
    ['json', 'https://api.lightfunnels.com/api/access_token', 'basic'],
  ])('%s with the other endpoint (%s) is refused, naming both variables', (auth, url, endpoint) => {
    const error = configError(() => read({ LIGHTFUNNELS_CLIENT_AUTH: auth, LIGHTFUNNELS_TOKEN_URL: url }));
    expect(error.problems).toEqual([
      `LIGHTFUNNELS_TOKEN_URL: ${new URL(url).pathname.replace(/\/$/, '')} is the endpoint of LIGHTFUNNELS_CLIENT_AUTH=${endpoint}, not ${auth}; unset LIGHTFUNNELS_TOKEN_URL for the ${auth} endpoint`,
    ]);
  });

  it('basic: the code exchange goes to the older endpoint with HTTP Basic client credentials', async () => {
    const settings = {
      ...read({ LIGHTFUNNELS_CLIENT_AUTH: 'basic' }),
      clientId: 'lf-id',
      clientSecret: 'lf-secret',
    };
    const http = new FakeHttp(response(200, { access_token: 'at-lf' }));
    await new LightfunnelsProvider(settings, http.client).exchangeCode({ code: 'c-1', redirectUri: 'https://x' });
    expect(http.only.url).toBe('https://api.lightfunnels.com/api/access_token');
    expect(basicOf(http.only)).toEqual({ user: 'lf-id', password: 'lf-secret' });
    expect(jsonOf(http.only)).toEqual({ code: 'c-1' });
  });
});
