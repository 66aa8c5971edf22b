import type { ProviderSettings } from '../../providers/core/provider-settings';
import type { ProviderStandIns } from '../../providers/providers.config';
import { simulatorFor } from './simulators/registry';

/**
 * The simulators stand in for the built-in providers that have no credentials. To a provider module a
 * simulator is only different URLs: the browser's under PUBLIC_URL, the service's own calls to the
 * internal address (so it also works in a container with a mapped port).
 */
export class SandboxStandIns implements ProviderStandIns {
  constructor(
    private readonly publicUrl: string,
    private readonly internalUrl: string,
  ) {}

  standIn(declared: ProviderSettings): ProviderSettings | undefined {
    // Only the built-in providers have simulators; a PROVIDERS_FILE provider is real or absent.
    const simulator = declared.extra.generic ? undefined : simulatorFor(declared.name);
    if (!simulator) return undefined;
    const browser = `${this.publicUrl}/sandbox/${declared.name}`;
    const server = `${this.internalUrl}/sandbox/${declared.name}`;
    return {
      ...declared,
      sandbox: true,
      clientId: simulator.clientId,
      clientSecret: simulator.clientSecret,
      authorizeUrl: `${browser}/authorize`,
      tokenUrl: `${server}/token`,
      revokeUrl: declared.supports.revoke ? `${server}/revoke` : undefined,
      apiBaseUrl: `${server}/api`,
      // The simulated ClickFunnels workspace_url is on the internal address (http, loopback).
      trustedApiOrigins: [new URL(this.internalUrl).origin],
    };
  }
}
