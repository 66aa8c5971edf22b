import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { loadAppConfig } from '../config/app.config';
import { ConfigError, env, parseEnv } from '../config/env';
import { ProviderSettings, ProviderSpec, readProviderSettings } from './core/provider-settings';
import { BUILT_IN_PROVIDER_MODULES } from './built-in-providers';
import { loadGenericProviders } from './generic/generic.config';

export const SEED_PROVIDERS: readonly ProviderSpec[] = BUILT_IN_PROVIDER_MODULES.map((m) => m.spec);

const schema = z.object({
  REFRESH_LEAD_SECONDS: env.positiveInt(3600, 30 * 86_400),
});

/** The sandbox simulators are only different URLs to the provider modules. */
function pointAtSandbox(settings: ProviderSettings, publicUrl: string, internalUrl: string): ProviderSettings {
  const browser = `${publicUrl}/sandbox/${settings.name}`;
  const server = `${internalUrl}/sandbox/${settings.name}`;
  return {
    ...settings,
    sandbox: true,
    clientId: `sandbox-${settings.name}`,
    clientSecret: `sandbox-secret-${settings.name}`,
    authorizeUrl: `${browser}/authorize`,
    tokenUrl: `${server}/token`,
    revokeUrl: settings.supports.revoke ? `${server}/revoke` : undefined,
    apiBaseUrl: `${server}/api`,
  };
}

export function loadProvidersConfig(source = process.env) {
  const app = loadAppConfig(source);
  const { REFRESH_LEAD_SECONDS } = parseEnv(schema, source);
  const seeds = SEED_PROVIDERS.map((spec) => readProviderSettings(spec, source, REFRESH_LEAD_SECONDS));
  const generic = loadGenericProviders(
    source,
    SEED_PROVIDERS.map((s) => s.name),
    REFRESH_LEAD_SECONDS,
  );
  const all = [...seeds, ...generic];
  const anyCredentials = all.some((p) => p.clientId);
  const sandbox = app.sandbox ?? (!anyCredentials && app.nodeEnv !== 'production');
  if (sandbox && app.nodeEnv === 'production') {
    throw new ConfigError(['SANDBOX: the provider simulators cannot be enabled when NODE_ENV=production']);
  }
  const providers = all
    // Only the seed providers have simulators; a generic provider is real or absent.
    .map((p) =>
      sandbox && !p.clientId && !generic.includes(p) ? pointAtSandbox(p, app.publicUrl, app.internalUrl) : p,
    )
    // A provider with no credentials is not enabled.
    .filter((p) => p.clientId && p.clientSecret);
  return { sandbox, refreshLeadSeconds: REFRESH_LEAD_SECONDS, providers };
}

export const providersConfig = registerAs('providers', () => loadProvidersConfig());
