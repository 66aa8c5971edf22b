import { Global, Module } from '@nestjs/common';
import { ProvidersController } from './providers.controller';
import { ProvidersRegistry } from './providers.registry';

@Global()
@Module({
  controllers: [ProvidersController],
  providers: [ProvidersRegistry],
  exports: [ProvidersRegistry],
})
export class ProvidersModule {}
