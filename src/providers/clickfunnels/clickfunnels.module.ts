import { Module } from '@nestjs/common';
import { providerModuleMetadata } from '../provider-module';
import { ClickfunnelsProvider } from './clickfunnels.provider';
import { ClickfunnelsStrategy } from './clickfunnels.strategy';

@Module(
  providerModuleMetadata(
    'clickfunnels',
    (settings, http) => new ClickfunnelsProvider(settings, http),
    ClickfunnelsStrategy,
  ),
)
export class ClickfunnelsModule {}
