import { Module } from '@nestjs/common';
import { ProviderDefinition, ProviderModule } from '../core/provider-catalog';
import { lightfunnelsSpec } from './lightfunnels.config';
import { LightfunnelsProvider } from './lightfunnels.provider';
import { LightfunnelsStrategy } from './lightfunnels.strategy';

export const lightfunnels: ProviderDefinition = {
  name: lightfunnelsSpec.name,
  create: (settings, http) => new LightfunnelsProvider(settings, http),
  Strategy: LightfunnelsStrategy,
};

@Module({})
export class LightfunnelsModule extends ProviderModule {
  static readonly spec = lightfunnelsSpec;

  protected definitions(): ProviderDefinition[] {
    return [lightfunnels];
  }
}
