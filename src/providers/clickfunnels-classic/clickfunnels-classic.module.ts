import { Module } from '@nestjs/common';
import { providerModuleMetadata } from '../provider-module';
import { ClickfunnelsClassicProvider } from './clickfunnels-classic.provider';
import { ClickfunnelsClassicStrategy } from './clickfunnels-classic.strategy';

@Module(
  providerModuleMetadata(
    'clickfunnels-classic',
    (settings, http) => new ClickfunnelsClassicProvider(settings, http),
    ClickfunnelsClassicStrategy,
  ),
)
export class ClickfunnelsClassicModule {}
