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
  supports: { refresh: false, revoke: true, pkce: true, verify: true },
  defaults: {
    authorizeUrl: 'https://accounts.myclickfunnels.com/oauth/authorize',
    tokenUrl: 'https://accounts.myclickfunnels.com/oauth/token',
    revokeUrl: 'https://accounts.myclickfunnels.com/oauth/revoke',
    apiBaseUrl: 'https://accounts.myclickfunnels.com/api/v2',
    scopes: [],
    refreshRatePerSecond: 5,
  },
};
