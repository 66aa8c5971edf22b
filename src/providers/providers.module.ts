import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HttpClient } from '../common/http-client';
import { ProviderCatalog, PROVIDER_SETTINGS } from './core/provider-catalog';
import { ProvidersController } from './providers.controller';
import { enabledProviders, PROVIDER_STAND_INS, ProviderStandIns, providersConfig } from './providers.config';

/** The catalog every provider module registers with; global so the flow, lifecycle and API can read it. */
@Global()
@Module({
  controllers: [ProvidersController],
  providers: [
    {
      provide: PROVIDER_SETTINGS,
      inject: [providersConfig.KEY, { token: PROVIDER_STAND_INS, optional: true }],
      useFactory: (config: ConfigType<typeof providersConfig>, standIns?: ProviderStandIns) =>
        enabledProviders(config.declared, standIns),
    },
    ProviderCatalog,
    HttpClient,
  ],
  exports: [ProviderCatalog, HttpClient, PROVIDER_SETTINGS],
})
export class ProvidersModule {}
