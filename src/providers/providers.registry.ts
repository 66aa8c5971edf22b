import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ProviderNotConfigured } from '../common/errors';
import { ProviderSettings } from './provider-settings';
import { providersConfig } from './providers.config';

/** The providers this deployment has credentials for (or sandbox simulators of). */
@Injectable()
export class ProvidersRegistry {
  private readonly byName: ReadonlyMap<string, ProviderSettings>;

  constructor(@Inject(providersConfig.KEY) private readonly config: ConfigType<typeof providersConfig>) {
    this.byName = new Map(config.providers.map((p) => [p.name, p]));
  }

  get sandbox(): boolean {
    return this.config.sandbox;
  }

  list(): ProviderSettings[] {
    return [...this.byName.values()];
  }

  find(name: string): ProviderSettings | undefined {
    return this.byName.get(name);
  }

  /** Throws ProviderNotConfigured (400) for names that are unknown or have no credentials. */
  get(name: string): ProviderSettings {
    const provider = this.byName.get(name);
    if (!provider) throw new ProviderNotConfigured(name);
    return provider;
  }
}
