import { Inject, Module } from '@nestjs/common';
import { ProviderCatalog, PROVIDER_SETTINGS, ProviderDefinition, ProviderModule } from '../core/provider-catalog';
import { ProviderSettings } from '../core/provider-settings';
import { GenericProvider } from './generic.provider';
import { genericStrategyClass } from './generic.strategy';

/** The providers of PROVIDERS_FILE that have credentials: registered like the built-in ones, one definition each. */
@Module({})
export class GenericProvidersModule extends ProviderModule {
  constructor(
    catalog: ProviderCatalog,
    @Inject(PROVIDER_SETTINGS) private readonly settings: readonly ProviderSettings[],
  ) {
    super(catalog);
  }

  protected definitions(): ProviderDefinition[] {
    return this.settings
      .filter((settings) => settings.extra.generic)
      .map((settings) => ({
        name: settings.name,
        create: (s, http) => new GenericProvider(s, http),
        Strategy: genericStrategyClass(settings.name),
      }));
  }
}
