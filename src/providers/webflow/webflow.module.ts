import { Module } from '@nestjs/common';
import { ProviderDefinition, ProviderModule } from '../core/provider-catalog';
import { webflowSpec } from './webflow.config';
import { WebflowProvider } from './webflow.provider';
import { WebflowStrategy } from './webflow.strategy';

export const webflow: ProviderDefinition = {
  name: webflowSpec.name,
  create: (settings, http) => new WebflowProvider(settings, http),
  Strategy: WebflowStrategy,
};

@Module({})
export class WebflowModule extends ProviderModule {
  static readonly spec = webflowSpec;

  protected definitions(): ProviderDefinition[] {
    return [webflow];
  }
}
