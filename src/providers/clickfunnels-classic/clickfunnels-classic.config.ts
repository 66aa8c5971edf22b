import { ProviderSpec } from '../core/provider-settings';

/** ClickFunnels Classic: docs/providers.md#clickfunnels-classic (JSON token and refresh calls). */
export const clickfunnelsClassicSpec: ProviderSpec = {
  name: 'clickfunnels-classic',
  displayName: 'ClickFunnels Classic',
  envPrefix: 'CLICKFUNNELS_CLASSIC',
  supports: { refresh: true, revoke: false, pkce: false, verify: false },
  defaults: {
    authorizeUrl: 'https://app.clickfunnels.com/oauth/authorize',
    tokenUrl: 'https://app.clickfunnels.com/oauth/token',
    apiBaseUrl: 'https://api.clickfunnels.com/api/v2',
    scopes: [],
    refreshRatePerSecond: 5,
  },
};
