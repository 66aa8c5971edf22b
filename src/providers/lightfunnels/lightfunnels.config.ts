import { z } from 'zod';
import { env } from '../../config/env';
import { ProviderSpec } from '../core/provider-settings';

/**
 * Lightfunnels: docs/providers.md#lightfunnels. Permanent tokens (no expiry, no refresh).
 * Doc versions disagree on the token call: JSON {client_id, client_secret, code} or HTTP Basic client
 * auth, hence LIGHTFUNNELS_CLIENT_AUTH.
 */
export const lightfunnelsSpec: ProviderSpec = {
  name: 'lightfunnels',
  displayName: 'Lightfunnels',
  envPrefix: 'LIGHTFUNNELS',
  supports: { refresh: false, revoke: false, pkce: false, verify: true },
  defaults: {
    authorizeUrl: 'https://app.lightfunnels.com/admin/oauth',
    tokenUrl: 'https://api.lightfunnels.com/oauth/access_token',
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
};
