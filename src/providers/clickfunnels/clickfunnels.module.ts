import { Module } from '@nestjs/common';
import { ProviderDefinition, ProviderModule } from '../core/provider-catalog';
import { clickfunnelsSpec } from './clickfunnels.config';
import { ClickfunnelsProvider } from './clickfunnels.provider';
import { ClickfunnelsStrategy } from './clickfunnels.strategy';

export const clickfunnels: ProviderDefinition = {
  name: clickfunnelsSpec.name,
  create: (settings, http) => new ClickfunnelsProvider(settings, http),
  Strategy: ClickfunnelsStrategy,
};

@Module({})
export class ClickfunnelsModule extends ProviderModule {
  static readonly spec = clickfunnelsSpec;

  protected definitions(): ProviderDefinition[] {
    return [clickfunnels];
  }
}
