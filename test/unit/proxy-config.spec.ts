import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../src/config/env';
import { loadProvidersConfig } from '../../src/providers/providers.config';
import { loadProxyConfig } from '../../src/proxy/proxy.config';

const problemsOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('proxy configuration', () => {
  it('production turns the private-address guard on; every other environment leaves it off', () => {
    expect(loadProxyConfig({ NODE_ENV: 'production' }).guardPrivateAddresses).toBe(true);
    expect(loadProxyConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://connect.example.test' })).toMatchObject({
      guardPrivateAddresses: true,
    });
    for (const nodeEnv of ['development', 'test', undefined])
      expect([nodeEnv, loadProxyConfig({ NODE_ENV: nodeEnv }).guardPrivateAddresses]).toEqual([nodeEnv, false]);
  });

  it('PROXY_RENEW_MIN_INTERVAL_SECONDS: 30 s by default, in milliseconds', () => {
    expect(loadProxyConfig({}).renewMinIntervalMs).toBe(30_000);
    expect(loadProxyConfig({ PROXY_RENEW_MIN_INTERVAL_SECONDS: '120' }).renewMinIntervalMs).toBe(120_000);
  });

  it.each(['0', '-1', '1.5', 'soon', '86401'])('PROXY_RENEW_MIN_INTERVAL_SECONDS=%s is refused, naming it', (value) => {
    expect(problemsOf(() => loadProxyConfig({ PROXY_RENEW_MIN_INTERVAL_SECONDS: value }))).toContain(
      'PROXY_RENEW_MIN_INTERVAL_SECONDS',
    );
  });
});

describe('<P>_ALLOW_PRIVATE_API_HOST', () => {
  const keap = (source: Record<string, string>) =>
    loadProvidersConfig({ KEAP_CLIENT_ID: 'id', KEAP_CLIENT_SECRET: 'secret', ...source }).declared.find(
      (p) => p.name === 'keap',
    )!;

  it('is off unless set, per provider', () => {
    expect(keap({}).allowPrivateApiHost).toBe(false);
    const c = loadProvidersConfig({ KEAP_ALLOW_PRIVATE_API_HOST: 'true' });
    expect(Object.fromEntries(c.declared.map((p) => [p.name, p.allowPrivateApiHost]))).toEqual({
      clickfunnels: false,
      'clickfunnels-classic': false,
      keap: true,
      lightfunnels: false,
      webflow: false,
    });
    expect(keap({ KEAP_ALLOW_PRIVATE_API_HOST: 'false' }).allowPrivateApiHost).toBe(false);
  });

  it('is a boolean: anything else is refused, naming it', () => {
    expect(problemsOf(() => keap({ KEAP_ALLOW_PRIVATE_API_HOST: 'maybe' }))).toContain('KEAP_ALLOW_PRIVATE_API_HOST');
  });

  it('applies to PROVIDERS_FILE providers too, by their prefix', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-config-'));
    try {
      const file = path.join(dir, 'providers.json');
      fs.writeFileSync(
        file,
        JSON.stringify([
          {
            name: 'acme-crm',
            authorizeUrl: 'https://acme.example/oauth/authorize',
            tokenUrl: 'https://acme.example/oauth/token',
            apiBaseUrl: 'http://10.0.0.5/api',
          },
        ]),
      );
      const acme = (source: Record<string, string>) =>
        loadProvidersConfig({ PROVIDERS_FILE: file, ...source }).declared.find((p) => p.name === 'acme-crm')!;
      expect(acme({}).allowPrivateApiHost).toBe(false);
      expect(acme({ ACME_CRM_ALLOW_PRIVATE_API_HOST: 'true' }).allowPrivateApiHost).toBe(true);
      expect(problemsOf(() => acme({ ACME_CRM_ALLOW_PRIVATE_API_HOST: 'sure' }))).toContain(
        'ACME_CRM_ALLOW_PRIVATE_API_HOST',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
