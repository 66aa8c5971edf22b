import { z } from 'zod';
import { ConfigError, Env, env, parseEnv } from '../../config/env';

/** What a provider supports, independent of how it is configured. */
export interface ProviderCapabilities {
  refresh: boolean;
  revoke: boolean;
  pkce: boolean;
  /** A whoami call can check that the provider still accepts a token. */
  verify: boolean;
}

/** The settings a provider documents and an operator may override. */
export interface ProviderEndpointsAndLimits {
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl?: string;
  apiBaseUrl: string;
  scopes: string[];
  /** Used when a token response carries no usable expires_in; undefined = the token does not expire. */
  accessTokenLifetimeSeconds?: number;
  /** Horizon of a refresh token; undefined = unknown/unbounded. */
  refreshTokenLifetimeDays?: number;
  refreshRatePerSecond: number;
}

/** The static facts of a provider module: its name, env prefix and real-world defaults. */
export interface ProviderSpec {
  name: string;
  displayName: string;
  /** Prefix of its variables: KEAP -> KEAP_CLIENT_ID, KEAP_TOKEN_URL, ... */
  envPrefix: string;
  supports: ProviderCapabilities;
  /**
   * A reconnect revokes the tokens it superseded. Only where revoking one token ends only that token:
   * some servers end the user's whole grant to the app, which would kill the new tokens too.
   */
  revokeSupersededTokens?: boolean;
  defaults: ProviderEndpointsAndLimits;
  /** Extra provider-specific variables (e.g. LIGHTFUNNELS_CLIENT_AUTH), parsed with the same rules. */
  extra?: z.ZodObject;
  /**
   * Rules across this provider's variables, applied once they are parsed: a default that depends on
   * another variable, or a combination refused with a ConfigError naming the variables. `isSet` tells
   * whether the operator set a variable (not empty, as everywhere), so a default can be told from a choice.
   */
  resolve?: (settings: ProviderSettings, isSet: (variable: string) => boolean) => ProviderSettings;
}

/** A provider's configuration after reading the environment (still before the sandbox decision). */
export interface ProviderSettings extends ProviderEndpointsAndLimits {
  name: string;
  displayName: string;
  supports: ProviderCapabilities;
  clientId?: string;
  clientSecret?: string;
  /** See ProviderSpec.revokeSupersededTokens; never for PROVIDERS_FILE providers. */
  revokeSupersededTokens: boolean;
  refreshLeadSeconds: number;
  extra: Record<string, unknown>;
  /** True when the URLs point at this service's own simulators. */
  sandbox: boolean;
  /**
   * Origins a stand-in (the development module's simulators) serves per-connection API bases from, e.g.
   * a simulated ClickFunnels workspace_url on the internal address. Never set in production.
   */
  trustedApiOrigins?: string[];
  /**
   * `<P>_ALLOW_PRIVATE_API_HOST=true`: in production the proxy may call the configured API host even on
   * a loopback, private or link-local address (a provider run inside the same network). Only by this
   * setting, never because of what the host resolves to.
   */
  allowPrivateApiHost?: boolean;
}

export function readProviderSettings(spec: ProviderSpec, source: Env, refreshLeadSeconds: number): ProviderSettings {
  const p = spec.envPrefix;
  const isSet = (variable: string) => Boolean(source[variable]?.trim());
  // A provider without a revoke call would read the variable and never use it: an operator who sets it
  // believes deletes revoke at the provider. Refused, so the start says so instead of doing nothing.
  if (!spec.supports.revoke && isSet(`${p}_REVOKE_URL`))
    throw new ConfigError([
      `${p}_REVOKE_URL: ${spec.displayName} has no revoke call, so this variable would do nothing; unset it (deleting a connection only forgets its tokens)`,
    ]);
  const schema = z.object({
    [`${p}_CLIENT_ID`]: z.string().optional(),
    [`${p}_CLIENT_SECRET`]: z.string().optional(),
    [`${p}_AUTHORIZE_URL`]: env.url().default(spec.defaults.authorizeUrl),
    [`${p}_TOKEN_URL`]: env.url().default(spec.defaults.tokenUrl),
    ...(spec.supports.revoke ? { [`${p}_REVOKE_URL`]: env.url().optional() } : {}),
    [`${p}_API_BASE_URL`]: env.url().default(spec.defaults.apiBaseUrl),
    [`${p}_ALLOW_PRIVATE_API_HOST`]: env.boolean().default(false),
    [`${p}_SCOPES`]: env.list().optional(),
    [`${p}_REFRESH_LEAD_SECONDS`]: env.positiveInt(refreshLeadSeconds, 30 * 86_400),
    [`${p}_REFRESH_RATE_PER_SECOND`]: env.positiveInt(spec.defaults.refreshRatePerSecond, 10_000),
    ...(spec.defaults.refreshTokenLifetimeDays !== undefined
      ? { [`${p}_REFRESH_TOKEN_LIFETIME_DAYS`]: env.positiveInt(spec.defaults.refreshTokenLifetimeDays, 3650) }
      : {}),
    ...(spec.extra?.shape ?? {}),
  });
  const vars: Record<string, unknown> = parseEnv(schema, source);
  const clientId = vars[`${p}_CLIENT_ID`] as string | undefined;
  const clientSecret = vars[`${p}_CLIENT_SECRET`] as string | undefined;
  if (Boolean(clientId) !== Boolean(clientSecret)) {
    throw new ConfigError([`${p}_CLIENT_ID and ${p}_CLIENT_SECRET: set both or neither`]);
  }
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(spec.extra?.shape ?? {})) extra[key] = vars[key];
  const settings: ProviderSettings = {
    name: spec.name,
    displayName: spec.displayName,
    supports: spec.supports,
    revokeSupersededTokens: spec.revokeSupersededTokens ?? false,
    clientId,
    clientSecret,
    authorizeUrl: vars[`${p}_AUTHORIZE_URL`] as string,
    tokenUrl: vars[`${p}_TOKEN_URL`] as string,
    revokeUrl: (vars[`${p}_REVOKE_URL`] as string | undefined) ?? spec.defaults.revokeUrl,
    apiBaseUrl: vars[`${p}_API_BASE_URL`] as string,
    allowPrivateApiHost: vars[`${p}_ALLOW_PRIVATE_API_HOST`] as boolean,
    scopes: (vars[`${p}_SCOPES`] as string[] | undefined) ?? spec.defaults.scopes,
    accessTokenLifetimeSeconds: spec.defaults.accessTokenLifetimeSeconds,
    refreshTokenLifetimeDays: vars[`${p}_REFRESH_TOKEN_LIFETIME_DAYS`] as number | undefined,
    refreshLeadSeconds: vars[`${p}_REFRESH_LEAD_SECONDS`] as number,
    refreshRatePerSecond: vars[`${p}_REFRESH_RATE_PER_SECOND`] as number,
    extra,
    sandbox: false,
  };
  return spec.resolve ? spec.resolve(settings, isSet) : settings;
}
