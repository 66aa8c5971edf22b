import { ProviderSpec } from '../core/provider-settings';

/** Keap / Infusionsoft: docs/providers.md#keap. */
export const keapSpec: ProviderSpec = {
  name: 'keap',
  displayName: 'Keap (Infusionsoft)',
  envPrefix: 'KEAP',
  // Keap has no revoke endpoint: deleting a connection only forgets the tokens.
  supports: { refresh: true, revoke: false, pkce: false, verify: true },
  defaults: {
    authorizeUrl: 'https://accounts.infusionsoft.com/app/oauth/authorize',
    tokenUrl: 'https://api.infusionsoft.com/token',
    apiBaseUrl: 'https://api.infusionsoft.com/crm/rest/v1',
    scopes: ['full'],
    // Access tokens live 24 hours when expires_in is missing or unusable.
    accessTokenLifetimeSeconds: 86_400,
    // Sources say 45 or 90 days; take the shorter so the sweep renews in time.
    refreshTokenLifetimeDays: 45,
    // The seed's documented spike limit is 25 calls/second per key.
    refreshRatePerSecond: 25,
  },
};
