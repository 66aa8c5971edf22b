import { z } from 'zod';
import { env } from '../../config/env';
import { ProviderSpec } from '../core/provider-settings';

/** Webflow: docs/providers.md#webflow. Tokens never expire and are revoked explicitly. */
export const webflowSpec: ProviderSpec = {
  name: 'webflow',
  displayName: 'Webflow',
  envPrefix: 'WEBFLOW',
  // Revoking a Webflow token ends that token (its tokens never expire: superseded ones must go).
  revokeSupersededTokens: true,
  supports: { refresh: false, revoke: true, pkce: false, verify: true },
  defaults: {
    authorizeUrl: 'https://webflow.com/oauth/authorize',
    tokenUrl: 'https://api.webflow.com/oauth/access_token',
    revokeUrl: 'https://webflow.com/oauth/revoke_authorization',
    apiBaseUrl: 'https://api.webflow.com/v2',
    scopes: ['authorized_user:read', 'sites:read'],
    refreshRatePerSecond: 1,
  },
  extra: z.object({
    /** `x-webflow-timestamp` tolerance, both directions (their docs: reject older than 5 minutes). */
    WEBFLOW_EVENTS_TOLERANCE_SECONDS: env.positiveInt(300, 86_400),
  }),
};
