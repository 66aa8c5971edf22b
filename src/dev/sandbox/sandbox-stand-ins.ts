import type { ProviderSettings } from '../../providers/core/provider-settings';
import type { ProviderStandIns } from '../../providers/providers.config';
import { SANDBOX_PROVIDERS, sandboxClientId, sandboxClientSecret } from './sandbox-providers';

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
    if (declared.extra.generic || !Object.hasOwn(SANDBOX_PROVIDERS, declared.name)) return undefined;
    const simulator = SANDBOX_PROVIDERS[declared.name as keyof typeof SANDBOX_PROVIDERS];
    const browser = `${this.publicUrl}/sandbox/${declared.name}`;
    const server = `${this.internalUrl}/sandbox/${declared.name}`;
    return {
      ...declared,
      sandbox: true,
      clientId: sandboxClientId(simulator),
      clientSecret: sandboxClientSecret(simulator),
      authorizeUrl: `${browser}/authorize`,
      tokenUrl: `${server}/token`,
      revokeUrl: declared.supports.revoke ? `${server}/revoke` : undefined,
      apiBaseUrl: `${server}/api`,
      // The simulated ClickFunnels workspace_url is on the internal address (http, loopback).
      trustedApiOrigins: [new URL(this.internalUrl).origin],
    };
  }
}
