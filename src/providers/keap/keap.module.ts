import { Module } from '@nestjs/common';
import { ProviderDefinition, ProviderModule } from '../core/provider-catalog';
import { keapSpec } from './keap.config';
import { KeapProvider } from './keap.provider';
import { KeapStrategy } from './keap.strategy';

export const keap: ProviderDefinition = {
  name: keapSpec.name,
  create: (settings, http) => new KeapProvider(settings, http),
  Strategy: KeapStrategy,
};

@Module({})
export class KeapModule extends ProviderModule {
  static readonly spec = keapSpec;

  protected definitions(): ProviderDefinition[] {
    return [keap];
  }
}
