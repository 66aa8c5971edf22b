import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HttpClient } from '../../common/http-client';
import { appConfig } from '../../config/app.config';
import { OAuthStateStore } from '../../oauth/oauth-state.store';
import { ProviderCatalog } from '../provider-catalog';
import { callbackUrl } from '../provider-module';
import { ProvidersRegistry } from '../providers.registry';
import { GenericProvider } from './generic.provider';
import { genericStrategyClass } from './generic.strategy';

/** The providers of PROVIDERS_FILE that have credentials: a provider and a strategy each. */
@Module({
  providers: [
    {
      provide: 'oauth-provider:generic',
      inject: [ProvidersRegistry, ProviderCatalog, HttpClient, OAuthStateStore, appConfig.KEY],
      useFactory: (
        registry: ProvidersRegistry,
        catalog: ProviderCatalog,
        http: HttpClient,
        store: OAuthStateStore,
        app: ConfigType<typeof appConfig>,
      ) =>
        registry
          .list()
          .filter((settings) => settings.extra.generic)
          .map((settings) => {
            const provider = new GenericProvider(settings, http);
            const Strategy = genericStrategyClass(settings.name);
            const strategy = new Strategy(provider, store, callbackUrl(app.publicUrl, settings.name));
            catalog.add(provider, strategy);
            return strategy;
          }),
    },
  ],
})
export class GenericProvidersModule {}
