import { Module } from '@nestjs/common';
import { providerModuleMetadata } from '../provider-module';
import { LightfunnelsProvider } from './lightfunnels.provider';
import { LightfunnelsStrategy } from './lightfunnels.strategy';

@Module(
  providerModuleMetadata(
    'lightfunnels',
    (settings, http) => new LightfunnelsProvider(settings, http),
    LightfunnelsStrategy,
  ),
)
export class LightfunnelsModule {}
