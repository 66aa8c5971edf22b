import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAppConfig } from '../../src/config/app.config';
import { loadDatabaseConfig } from '../../src/config/database.config';
import { ConfigError } from '../../src/config/env';
import { loadSecurityConfig } from '../../src/crypto/secrets.config';
import { SandboxStandIns } from '../../src/dev/sandbox/sandbox-stand-ins';
import { enabledProviders, loadProvidersConfig } from '../../src/providers/providers.config';
import { TEST_API_KEY, TEST_KEY_A } from './support/keys';

/**
 * The providers an app started with `env` runs: those with credentials, and, when the development
 * module runs (sandbox), its simulators standing in for the others.
 */
function enabled(env: Record<string, string>) {
  const c = loadProvidersConfig(env);
  const app = loadAppConfig(env);
  const standIns = c.sandbox ? new SandboxStandIns(app.publicUrl, app.internalUrl) : undefined;
  return { ...c, providers: enabledProviders(c.declared, standIns) };
}

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-config-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const base = () => ({ DATA_DIR: dataDir, API_KEYS: TEST_API_KEY, ENCRYPTION_KEYS: TEST_KEY_A });

  describe('app', () => {
    it('has working defaults', () => {
      const c = loadAppConfig({ DATA_DIR: dataDir });
      expect(c).toMatchObject({
        port: 3000,
        publicUrl: 'http://localhost:3000',
        internalUrl: 'http://127.0.0.1:3000',
        httpTimeoutMs: 10000,
        logLevel: 'info',
        nodeEnv: 'development',
      });
      expect(c.allowedReturnUrls).toEqual(['http://localhost:3000']);
    });

    it('knows exactly three modes; unset is development', () => {
      expect(loadAppConfig({}).nodeEnv).toBe('development');
      expect(loadAppConfig({ NODE_ENV: ' ' }).nodeEnv).toBe('development');
      for (const mode of ['development', 'test', 'production'] as const)
        expect(loadAppConfig({ NODE_ENV: mode }).nodeEnv).toBe(mode);
    });

    it('in production, wants an https PUBLIC_URL, except on localhost', () => {
      expect(loadAppConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://connect.example.test' }).publicUrl).toBe(
        'https://connect.example.test',
      );
      expect(loadAppConfig({ NODE_ENV: 'production' }).publicUrl).toBe('http://localhost:3000');
      expect(loadAppConfig({ NODE_ENV: 'production', PUBLIC_URL: 'http://127.0.0.1:8080' }).publicUrl).toBe(
        'http://127.0.0.1:8080',
      );
      expect(loadAppConfig({ NODE_ENV: 'development', PUBLIC_URL: 'http://dev.example.test' }).publicUrl).toBe(
        'http://dev.example.test',
      );
    });

    it('derives PUBLIC_URL from PORT and strips a trailing slash', () => {
      expect(loadAppConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
      expect(loadAppConfig({ PUBLIC_URL: 'https://connect.example.test/' }).publicUrl).toBe(
        'https://connect.example.test',
      );
    });

    it.each([
      [{ PORT: 'eighty' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
      [{ PUBLIC_URL: 'ftp://x.test' }, 'PUBLIC_URL'],
      [{ HTTP_TIMEOUT_MS: '0' }, 'HTTP_TIMEOUT_MS'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ SANDBOX: 'maybe' }, 'SANDBOX'],
      [{ ALLOWED_RETURN_URLS: 'https://ok.test,javascript:alert(1)' }, 'ALLOWED_RETURN_URLS'],
      [{ NODE_ENV: 'prod' }, 'NODE_ENV'],
      [{ NODE_ENV: 'Production' }, 'NODE_ENV'],
      [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
      [{ NODE_ENV: 'production', PUBLIC_URL: 'http://connect.example.test' }, 'PUBLIC_URL'],
    ])('refuses %j naming the variable', (env, name) => {
      expect(problemsOf(() => loadAppConfig(env))).toContain(name);
    });
  });

  describe('database', () => {
    it('uses the embedded server under DATA_DIR when DATABASE_URL is unset', () => {
      expect(loadDatabaseConfig({ DATA_DIR: dataDir })).toEqual({
        url: undefined,
        poolSize: 10,
        embeddedDir: path.join(dataDir, 'postgres'),
      });
    });

    it('refuses a DATABASE_URL that is not a postgres URL, without echoing it', () => {
      const message = problemsOf(() => loadDatabaseConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db' }));
      expect(message).toContain('DATABASE_URL');
      expect(message).not.toContain('hunter2');
    });
  });

  describe('security', () => {
    it('parses several API keys and a keyring whose first key is current', () => {
      const c = loadSecurityConfig({
        ...base(),
        API_KEYS: `${TEST_API_KEY}, second-key-0123456789`,
        ENCRYPTION_KEYS: `new:${Buffer.alloc(32, 1).toString('base64')},${TEST_KEY_A}`,
      });
      expect(c.apiKeys).toEqual([TEST_API_KEY, 'second-key-0123456789']);
      expect(c.keyring.current.kid).toBe('new');
      expect([...c.keyring.byKid.keys()]).toEqual(['new', 'ka']);
      expect(c.devSecretFiles).toEqual({});
    });

    it('reloads the API key table every 2 s by default; refuses a slower reload, and a key listed twice (without echoing it)', () => {
      expect(
        loadSecurityConfig({ ...base(), API_KEYS: TEST_API_KEY, ENCRYPTION_KEYS: TEST_KEY_A }).apiKeyReloadMs,
      ).toBe(2000);
      const slow = problemsOf(() =>
        loadSecurityConfig({
          ...base(),
          API_KEYS: TEST_API_KEY,
          ENCRYPTION_KEYS: TEST_KEY_A,
          API_KEY_RELOAD_MS: '4000',
        }),
      );
      expect(slow).toContain('API_KEY_RELOAD_MS');
      const twice = problemsOf(() =>
        loadSecurityConfig({ ...base(), API_KEYS: `${TEST_API_KEY},${TEST_API_KEY}`, ENCRYPTION_KEYS: TEST_KEY_A }),
      );
      expect(twice).toContain('API_KEYS: lists the same key twice');
      expect(twice).not.toContain(TEST_API_KEY);
    });

    it.each([
      ['a short key', `k1:${Buffer.alloc(16).toString('base64')}`],
      ['no kid', Buffer.alloc(32).toString('base64')],
      ['a bad kid', `k 1:${Buffer.alloc(32).toString('base64')}`],
      ['not base64', 'k1:%%%%'],
      ['a duplicate kid', `k1:${Buffer.alloc(32).toString('base64')},k1:${Buffer.alloc(32, 2).toString('base64')}`],
    ])('refuses ENCRYPTION_KEYS with %s, naming the variable and not the key', (_name, spec) => {
      const message = problemsOf(() => loadSecurityConfig({ ...base(), ENCRYPTION_KEYS: spec }));
      expect(message).toContain('ENCRYPTION_KEYS');
      const material = spec.split(':').pop()!;
      if (material.length > 8) expect(message).not.toContain(material);
    });

    it('refuses API keys shorter than 16 characters', () => {
      expect(problemsOf(() => loadSecurityConfig({ ...base(), API_KEYS: 'short' }))).toContain('API_KEYS');
    });

    it('in production, stops when API_KEYS or ENCRYPTION_KEYS is missing', () => {
      const message = problemsOf(() => loadSecurityConfig({ NODE_ENV: 'production', DATA_DIR: dataDir }));
      expect(message).toContain('API_KEYS: is required when NODE_ENV=production');
      expect(message).toContain('ENCRYPTION_KEYS: is required when NODE_ENV=production');
      expect(fs.readdirSync(dataDir)).toEqual([]);
    });

    it('in development, generates the secrets once under DATA_DIR (mode 0600) and reuses them', () => {
      const first = loadSecurityConfig({ DATA_DIR: dataDir });
      expect(first.devSecretFiles).toEqual({
        apiKeys: path.join(dataDir, 'api-key'),
        encryptionKeys: path.join(dataDir, 'encryption-keys'),
      });
      expect(fs.statSync(first.devSecretFiles.apiKeys!).mode & 0o777).toBe(0o600);
      expect(fs.statSync(first.devSecretFiles.encryptionKeys!).mode & 0o777).toBe(0o600);
      expect(first.apiKeys[0]).toMatch(/^dev_[A-Za-z0-9_-]{32}$/);
      const second = loadSecurityConfig({ DATA_DIR: dataDir });
      expect(second.apiKeys).toEqual(first.apiKeys);
      expect(second.keyring.current.key.equals(first.keyring.current.key)).toBe(true);
    });
  });

  describe('providers', () => {
    it('turns the sandbox on when no provider has credentials, pointing every URL at this service', () => {
      const c = enabled({ PORT: '4000', PUBLIC_URL: 'http://localhost:4000' });
      expect(c.sandbox).toBe(true);
      expect(c.providers.map((p) => p.name)).toEqual([
        'clickfunnels',
        'clickfunnels-classic',
        'keap',
        'lightfunnels',
        'webflow',
      ]);
      const keap = c.providers.find((p) => p.name === 'keap')!;
      expect(keap).toMatchObject({
        sandbox: true,
        authorizeUrl: 'http://localhost:4000/sandbox/keap/authorize',
        tokenUrl: 'http://127.0.0.1:4000/sandbox/keap/token',
        revokeUrl: undefined,
        scopes: ['full'],
        refreshLeadSeconds: 3600,
        refreshRatePerSecond: 25,
        refreshTokenLifetimeDays: 45,
        accessTokenLifetimeSeconds: 86400,
      });
      // Reconnects revoke superseded tokens only where one revoke ends one token.
      expect(Object.fromEntries(c.providers.map((p) => [p.name, p.revokeSupersededTokens]))).toEqual({
        clickfunnels: true,
        'clickfunnels-classic': false,
        keap: false,
        lightfunnels: false,
        webflow: true,
      });
      expect(c.providers.find((p) => p.name === 'webflow')!.revokeUrl).toBe(
        'http://127.0.0.1:4000/sandbox/webflow/revoke',
      );
    });

    it('enables only providers with credentials, with the real URLs as defaults', () => {
      const c = enabled({ KEAP_CLIENT_ID: 'id', KEAP_CLIENT_SECRET: 'secret' });
      expect(c.sandbox).toBe(false);
      expect(c.providers).toHaveLength(1);
      expect(c.providers[0]).toMatchObject({
        name: 'keap',
        sandbox: false,
        authorizeUrl: 'https://accounts.infusionsoft.com/app/oauth/authorize',
        tokenUrl: 'https://api.infusionsoft.com/token',
      });
    });

    it('lets every URL, scope list and budget be overridden per provider', () => {
      const c = enabled({
        WEBFLOW_CLIENT_ID: 'id',
        WEBFLOW_CLIENT_SECRET: 'secret',
        WEBFLOW_AUTHORIZE_URL: 'http://127.0.0.1:1/a',
        WEBFLOW_TOKEN_URL: 'http://127.0.0.1:1/t',
        WEBFLOW_REVOKE_URL: 'http://127.0.0.1:1/r',
        WEBFLOW_API_BASE_URL: 'http://127.0.0.1:1/api',
        WEBFLOW_SCOPES: 'sites:read, sites:write',
        WEBFLOW_REFRESH_LEAD_SECONDS: '60',
        REFRESH_LEAD_SECONDS: '120',
        LIGHTFUNNELS_CLIENT_AUTH: 'basic',
      });
      expect(c.providers[0]).toMatchObject({
        authorizeUrl: 'http://127.0.0.1:1/a',
        tokenUrl: 'http://127.0.0.1:1/t',
        revokeUrl: 'http://127.0.0.1:1/r',
        apiBaseUrl: 'http://127.0.0.1:1/api',
        scopes: ['sites:read', 'sites:write'],
        refreshLeadSeconds: 60,
      });
      expect(c.refreshLeadSeconds).toBe(120);
    });

    it('keeps the sandbox for the providers without credentials when SANDBOX=true', () => {
      const c = enabled({ SANDBOX: 'true', KEAP_CLIENT_ID: 'id', KEAP_CLIENT_SECRET: 'secret' });
      expect(c.providers.find((p) => p.name === 'keap')!.sandbox).toBe(false);
      expect(c.providers.find((p) => p.name === 'webflow')!.sandbox).toBe(true);
    });

    it.each([
      [{ KEAP_CLIENT_ID: 'id' }, 'KEAP_CLIENT_ID and KEAP_CLIENT_SECRET'],
      [{ KEAP_TOKEN_URL: 'nope' }, 'KEAP_TOKEN_URL'],
      [{ LIGHTFUNNELS_CLIENT_AUTH: 'form' }, 'LIGHTFUNNELS_CLIENT_AUTH'],
      [{ KEAP_REFRESH_TOKEN_LIFETIME_DAYS: '0' }, 'KEAP_REFRESH_TOKEN_LIFETIME_DAYS'],
      [{ SANDBOX: 'true', NODE_ENV: 'production' }, 'SANDBOX'],
    ])('refuses %j naming the variable', (env, name) => {
      expect(problemsOf(() => enabled(env))).toContain(name);
    });

    it('never turns the sandbox on by itself in production', () => {
      expect(enabled({ NODE_ENV: 'production' })).toMatchObject({ sandbox: false, providers: [] });
    });
  });

  describe('PROVIDERS_FILE (generic providers)', () => {
    const write = (content: unknown) => {
      const file = path.join(dataDir, 'providers.json');
      fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      return file;
    };
    const entry = {
      name: 'acme-crm',
      authorizeUrl: 'https://acme.test/a',
      tokenUrl: 'https://acme.test/t',
      accountIdField: 'sub',
    };

    it('enables an entry whose <NAME>_CLIENT_ID/SECRET are set, with documented defaults', () => {
      const c = enabled({
        PROVIDERS_FILE: write([entry]),
        ACME_CRM_CLIENT_ID: 'id',
        ACME_CRM_CLIENT_SECRET: 'secret',
      });
      expect(c.sandbox).toBe(false);
      expect(c.providers).toHaveLength(1);
      expect(c.providers[0]).toMatchObject({
        name: 'acme-crm',
        displayName: 'acme-crm',
        clientId: 'id',
        supports: { refresh: true, revoke: false, pkce: true },
        scopes: [],
        apiBaseUrl: 'https://acme.test',
        extra: { generic: { clientAuth: 'client_secret_basic', scopeSeparator: ' ', pkce: true } },
      });
      // Revoking one of its tokens may end the user's whole grant: a reconnect never revokes the old ones.
      expect(c.providers[0].revokeSupersededTokens).toBe(false);
    });

    it('lists nothing for an entry without credentials', () => {
      const c = enabled({ PROVIDERS_FILE: write([entry]), SANDBOX: 'false' });
      expect(c.providers).toEqual([]);
    });

    it.each([
      ['a missing file', null, 'cannot read'],
      ['invalid JSON', '[{', 'cannot read'],
      ['not a list', { name: 'x' }, 'PROVIDERS_FILE'],
      ['a bad URL', [{ ...entry, tokenUrl: 'nope' }], '[0.tokenUrl]'],
      ['an unknown field', [{ ...entry, clientSecret: 'do-not-put-me-here' }], 'PROVIDERS_FILE'],
      ['a bad clientAuth', [{ ...entry, clientAuth: 'mtls' }], '[0.clientAuth]'],
      ['a seed provider name', [{ ...entry, name: 'keap' }], 'already taken'],
      ['a duplicate name', [entry, entry], 'already taken'],
    ])('refuses %s, naming PROVIDERS_FILE', (_name, content, expected) => {
      const file = content === null ? path.join(dataDir, 'missing.json') : write(content);
      const message = problemsOf(() => enabled({ PROVIDERS_FILE: file }));
      expect(message).toContain('PROVIDERS_FILE');
      expect(message).toContain(expected);
      expect(message).not.toContain('do-not-put-me-here');
    });
  });
});
