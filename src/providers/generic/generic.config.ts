import * as fs from 'node:fs';
import { z } from 'zod';
import { ConfigError, Env, env, parseEnv } from '../../config/env';
import { ProviderSettings } from '../core/provider-settings';

/** One entry of PROVIDERS_FILE: an RFC 6749 authorization-code provider configured at run time. */
const entrySchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes'),
    displayName: z.string().min(1).max(100).optional(),
    authorizeUrl: env.url(),
    tokenUrl: env.url(),
    revokeUrl: env.url().optional(),
    userinfoUrl: env.url().optional(),
    apiBaseUrl: env.url().optional(),
    scopes: z.array(z.string().regex(/^[\x21-\x7E]+$/, 'scopes are printable ASCII without spaces')).default([]),
    scopeSeparator: z.string().min(1).max(3).default(' '),
    clientAuth: z.enum(['client_secret_basic', 'client_secret_post', 'json']).default('client_secret_basic'),
    pkce: z.boolean().default(true),
    /** Field of the userinfo response (or, without userinfoUrl, of the token response) naming the account; dots walk into objects. */
    accountIdField: z.string().min(1).max(100).optional(),
    accessTokenLifetimeSeconds: z.number().int().positive().optional(),
    refreshTokenLifetimeDays: z.number().int().positive().optional(),
    refreshRatePerSecond: z.number().int().positive().default(5),
  })
  .strict();

export type GenericProviderOptions = z.infer<typeof entrySchema>;

const fileSchema = z.array(entrySchema);

/** `acme-crm` → `ACME_CRM`: the prefix of its `_CLIENT_ID` / `_CLIENT_SECRET` variables. */
export const envPrefixOf = (name: string) => name.toUpperCase().replace(/-/g, '_');

/**
 * Reads PROVIDERS_FILE. Secrets never live in the file: they come from `<NAME>_CLIENT_ID` and
 * `<NAME>_CLIENT_SECRET`. A provider without them is listed in the file but not enabled.
 */
export function loadGenericProviders(
  source: Env,
  reserved: readonly string[],
  refreshLeadSeconds: number,
): ProviderSettings[] {
  const file = source.PROVIDERS_FILE?.trim();
  if (!file) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([
      `PROVIDERS_FILE: cannot read ${file} as JSON (${(error as NodeJS.ErrnoException).code ?? 'invalid JSON'})`,
    ]);
  }
  const result = fileSchema.safeParse(parsed);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `PROVIDERS_FILE ${file}: [${issue.path.join('.')}] ${issue.message}`),
    );
  }
  const seen = new Set<string>();
  return result.data.map((entry) => {
    if (reserved.includes(entry.name) || seen.has(entry.name))
      throw new ConfigError([`PROVIDERS_FILE ${file}: provider name "${entry.name}" is already taken`]);
    seen.add(entry.name);
    const p = envPrefixOf(entry.name);
    const secrets = parseEnv(
      z.object({
        [`${p}_CLIENT_ID`]: z.string().optional(),
        [`${p}_CLIENT_SECRET`]: z.string().optional(),
        [`${p}_REFRESH_LEAD_SECONDS`]: env.positiveInt(refreshLeadSeconds, 30 * 86_400),
        [`${p}_ALLOW_PRIVATE_API_HOST`]: env.boolean().default(false),
      }),
      source,
    ) as Record<string, string | number | boolean | undefined>;
    return {
      name: entry.name,
      displayName: entry.displayName ?? entry.name,
      supports: {
        refresh: true,
        revoke: Boolean(entry.revokeUrl),
        pkce: entry.pkce,
        verify: Boolean(entry.userinfoUrl),
      },
      clientId: secrets[`${p}_CLIENT_ID`] as string | undefined,
      clientSecret: secrets[`${p}_CLIENT_SECRET`] as string | undefined,
      authorizeUrl: entry.authorizeUrl,
      tokenUrl: entry.tokenUrl,
      revokeUrl: entry.revokeUrl,
      apiBaseUrl: entry.apiBaseUrl ?? new URL(entry.tokenUrl).origin,
      allowPrivateApiHost: secrets[`${p}_ALLOW_PRIVATE_API_HOST`] as boolean,
      scopes: entry.scopes,
      accessTokenLifetimeSeconds: entry.accessTokenLifetimeSeconds,
      refreshTokenLifetimeDays: entry.refreshTokenLifetimeDays,
      refreshLeadSeconds: secrets[`${p}_REFRESH_LEAD_SECONDS`] as number,
      refreshRatePerSecond: entry.refreshRatePerSecond,
      extra: { generic: entry },
      revokeSupersededTokens: false,
      sandbox: false,
    };
  });
}
