import { ModuleMetadata } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HttpClient } from '../common/http-client';
import { appConfig } from '../config/app.config';
import { OAuthStateStore } from '../oauth/oauth-state.store';
import { ProviderStrategyClass } from '../oauth/oauth-strategy';
import { OAuthProvider } from './provider';
import { ProviderCatalog } from './provider-catalog';
import { ProviderSettings } from './provider-settings';
import { ProvidersRegistry } from './providers.registry';

export type ProviderFactory = (settings: ProviderSettings, http: HttpClient) => OAuthProvider;

export const callbackUrl = (publicUrl: string, provider: string) => `${publicUrl}/oauth/${provider}/callback`;

/**
 * What every provider module declares: when the provider is configured, build its OAuthProvider and
 * its Passport strategy (which registers itself with Passport under the provider's name) and add the
 * provider to the catalog. A provider without credentials contributes nothing.
 */
export function providerModuleMetadata(
  name: string,
  create: ProviderFactory,
  Strategy: ProviderStrategyClass,
): ModuleMetadata {
  const token = `oauth-provider:${name}`;
  return {
    providers: [
      {
        provide: token,
        inject: [ProvidersRegistry, ProviderCatalog, HttpClient, OAuthStateStore, appConfig.KEY],
        useFactory: (
          registry: ProvidersRegistry,
          catalog: ProviderCatalog,
          http: HttpClient,
          store: OAuthStateStore,
          app: ConfigType<typeof appConfig>,
        ) => {
          const settings = registry.find(name);
          if (!settings) return null;
          const provider = create(settings, http);
          const strategy = new Strategy(provider, store, callbackUrl(app.publicUrl, name));
          catalog.add(provider, strategy);
          return strategy;
        },
      },
    ],
  };
}
