import { z } from 'zod';
import { ConfigError, env } from '../../config/env';
import { ProviderSettings, ProviderSpec } from '../core/provider-settings';

/**
 * The two token endpoints of Lightfunnels' doc versions (PROVIDERS.md): the current one takes JSON
 * `{client_id, client_secret, code}`, the older one the code with HTTP Basic client authentication.
 */
export const LIGHTFUNNELS_TOKEN_URLS = {
  json: 'https://api.lightfunnels.com/oauth/access_token',
  basic: 'https://api.lightfunnels.com/api/access_token',
} as const;

type ClientAuth = keyof typeof LIGHTFUNNELS_TOKEN_URLS;

/** The endpoint a URL is, when it is one of the two (compared without query, fragment or trailing slash). */
function knownEndpoint(url: string): ClientAuth | undefined {
  const { origin, pathname } = new URL(url);
  const at = `${origin}${pathname.replace(/\/+$/, '')}`;
  return (Object.keys(LIGHTFUNNELS_TOKEN_URLS) as ClientAuth[]).find((auth) => LIGHTFUNNELS_TOKEN_URLS[auth] === at);
}

/**
 * LIGHTFUNNELS_CLIENT_AUTH picks the endpoint as well as the client authentication: `basic` alone used to
 * keep the JSON endpoint's URL, which is documented for JSON client credentials only, so the operator had
 * to know to change both. Unless LIGHTFUNNELS_TOKEN_URL is set, `basic` now means the older endpoint. A
 * URL set to the other method's real endpoint is refused: a pair no doc version describes, which the start
 * reports rather than every connect.
 */
function resolveTokenUrl(settings: ProviderSettings, isSet: (variable: string) => boolean): ProviderSettings {
  const auth = settings.extra.LIGHTFUNNELS_CLIENT_AUTH as ClientAuth;
  if (!isSet('LIGHTFUNNELS_TOKEN_URL')) return { ...settings, tokenUrl: LIGHTFUNNELS_TOKEN_URLS[auth] };
  const endpoint = knownEndpoint(settings.tokenUrl);
  if (endpoint && endpoint !== auth)
    throw new ConfigError([
      `LIGHTFUNNELS_TOKEN_URL: ${new URL(LIGHTFUNNELS_TOKEN_URLS[endpoint]).pathname} is the endpoint of LIGHTFUNNELS_CLIENT_AUTH=${endpoint}, not ${auth}; unset LIGHTFUNNELS_TOKEN_URL for the ${auth} endpoint`,
    ]);
  return settings;
}

/**
 * Lightfunnels: docs/providers.md#lightfunnels. Permanent tokens (no expiry, no refresh).
 * Doc versions disagree on the token call: JSON {client_id, client_secret, code} or HTTP Basic client
 * auth on an older endpoint, hence LIGHTFUNNELS_CLIENT_AUTH, which picks the default token URL too.
 */
export const lightfunnelsSpec: ProviderSpec = {
  name: 'lightfunnels',
  displayName: 'Lightfunnels',
  envPrefix: 'LIGHTFUNNELS',
  supports: { refresh: false, revoke: false, pkce: false, verify: true },
  defaults: {
    authorizeUrl: 'https://app.lightfunnels.com/admin/oauth',
    // LIGHTFUNNELS_TOKEN_URLS.basic with LIGHTFUNNELS_CLIENT_AUTH=basic (resolveTokenUrl).
    tokenUrl: LIGHTFUNNELS_TOKEN_URLS.json,
    apiBaseUrl: 'https://services.lightfunnels.com/api/v2',
    scopes: ['orders', 'products'],
    refreshRatePerSecond: 5,
  },
  extra: z.object({
    LIGHTFUNNELS_CLIENT_AUTH: z.enum(['json', 'basic'], { error: 'must be json or basic' }).default('json'),
    /**
     * A header naming the event type, should Lightfunnels send one: its docs name none and its payloads
     * carry no type (lightfunnels.events.ts). Unset: the type comes from the subscription.
     */
    LIGHTFUNNELS_EVENTS_TYPE_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be a header name')
      .optional(),
    /**
     * Subscribe `app/uninstalled` for every account connected through the browser flow, so an
     * uninstall marks its connection `revoked` (docs/events.md "Uninstall").
     */
    LIGHTFUNNELS_SUBSCRIBE_UNINSTALL: env.boolean().default(true),
  }),
  resolve: resolveTokenUrl,
};
