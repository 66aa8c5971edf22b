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
  return {
    /** The development module (simulators, development page) runs and may stand in for providers. */
    sandbox,
    refreshLeadSeconds: REFRESH_LEAD_SECONDS,
    /** Every built-in provider and PROVIDERS_FILE entry, with credentials or not, in order. */
    declared: all,
  };
}

export const providersConfig = registerAs('providers', () => loadProvidersConfig());

/**
 * Stands in for providers that have no credentials: the development module's simulators. Production
 * has none, so there a provider without credentials is simply not enabled.
 */
export interface ProviderStandIns {
  /** The settings that point `declared` at a stand-in, or undefined when there is none for it. */
  standIn(declared: ProviderSettings): ProviderSettings | undefined;
}

export const PROVIDER_STAND_INS = Symbol('PROVIDER_STAND_INS');

/** The enabled providers: those with credentials, and those a stand-in serves. Declaration order. */
export function enabledProviders(
  declared: readonly ProviderSettings[],
  standIns?: ProviderStandIns,
): ProviderSettings[] {
  return declared
    .map((p) => (p.clientId && p.clientSecret ? p : standIns?.standIn(p)))
    .filter((p): p is ProviderSettings => p !== undefined);
}
