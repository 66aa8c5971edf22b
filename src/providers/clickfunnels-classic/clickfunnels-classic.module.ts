import { Module } from '@nestjs/common';
import { ProviderDefinition, ProviderModule } from '../core/provider-catalog';
import { clickfunnelsClassicSpec } from './clickfunnels-classic.config';
import { ClickfunnelsClassicProvider } from './clickfunnels-classic.provider';
import { ClickfunnelsClassicStrategy } from './clickfunnels-classic.strategy';

export const clickfunnelsClassic: ProviderDefinition = {
  name: clickfunnelsClassicSpec.name,
  create: (settings, http) => new ClickfunnelsClassicProvider(settings, http),
  Strategy: ClickfunnelsClassicStrategy,
};

@Module({})
export class ClickfunnelsClassicModule extends ProviderModule {
  static readonly spec = clickfunnelsClassicSpec;

  protected definitions(): ProviderDefinition[] {
    return [clickfunnelsClassic];
  }
}
