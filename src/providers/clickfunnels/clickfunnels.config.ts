import { z } from 'zod';
import { env } from '../../config/env';
import { ProviderSpec } from '../core/provider-settings';

/**
 * ClickFunnels 2.0: docs/providers.md#clickfunnels-20. A Doorkeeper server: accepts state
 * and PKCE S256, revokes per RFC 7009. No scopes on the authorize URL. Tokens carry expires_in 7200 but
 * the doc says they do not expire and there is no refresh token.
 */
export const clickfunnelsSpec: ProviderSpec = {
  name: 'clickfunnels',
  displayName: 'ClickFunnels 2.0',
  envPrefix: 'CLICKFUNNELS',
  // Doorkeeper revokes the one token it is given (RFC 7009), not the user's other grants.
  revokeSupersededTokens: true,
  supports: { refresh: false, revoke: true, pkce: true, verify: true },
  defaults: {
    authorizeUrl: 'https://accounts.myclickfunnels.com/oauth/authorize',
    tokenUrl: 'https://accounts.myclickfunnels.com/oauth/token',
    revokeUrl: 'https://accounts.myclickfunnels.com/oauth/revoke',
    apiBaseUrl: 'https://accounts.myclickfunnels.com/api/v2',
    scopes: [],
    refreshRatePerSecond: 5,
  },
  extra: z.object({
    /**
     * Hosts a token response's workspace_url may name (the host or a subdomain of it). The workspace URL
     * becomes the connection's API base, where the coming proxy sends its token: never a foreign host.
     */
    CLICKFUNNELS_WORKSPACE_HOSTS: env
      .list()
      .pipe(z.array(z.string().regex(/^[a-z0-9.-]+$/i, 'must be host names')))
      .default(['myclickfunnels.com']),
    /**
     * Signs the events ClickFunnels posts to `/events/clickfunnels` (no subscription, so no endpoint
     * secret): `platform_application.disconnected`. Where that event is subscribed and which secret
     * signs it is undocumented (docs/events.md); unset, such deliveries are refused.
     */
    CLICKFUNNELS_APP_WEBHOOK_SECRET: z.string().optional(),
    /** `X-Webhook-ClickFunnels-Timestamp` tolerance, both directions (their docs: 600 s). */
    CLICKFUNNELS_EVENTS_TOLERANCE_SECONDS: env.positiveInt(600, 86_400),
  }),
};
