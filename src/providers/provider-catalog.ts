import { Injectable } from '@nestjs/common';
import { ProviderNotConfigured } from '../common/errors';
import { OAuthProvider } from './provider';

/** The OAuth providers running in this process; each provider module adds its own when enabled. */
@Injectable()
export class ProviderCatalog {
  private readonly providers = new Map<string, OAuthProvider>();

  add(provider: OAuthProvider): void {
    if (this.providers.has(provider.name)) throw new Error(`Provider "${provider.name}" is registered twice`);
    this.providers.set(provider.name, provider);
  }

  find(name: string): OAuthProvider | undefined {
    return this.providers.get(name);
  }

  get(name: string): OAuthProvider {
    const provider = this.providers.get(name);
    if (!provider) throw new ProviderNotConfigured(name);
    return provider;
  }

  list(): OAuthProvider[] {
    return [...this.providers.values()];
  }
}
