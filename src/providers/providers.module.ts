import { Global, Module } from '@nestjs/common';
import { HttpClient } from '../common/http-client';
import { ProviderCatalog } from './provider-catalog';
import { ProvidersController } from './providers.controller';
import { ProvidersRegistry } from './providers.registry';

@Global()
@Module({
  controllers: [ProvidersController],
  providers: [ProvidersRegistry, ProviderCatalog, HttpClient],
  exports: [ProvidersRegistry, ProviderCatalog, HttpClient],
})
export class ProvidersModule {}
