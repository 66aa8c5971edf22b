import { Injectable } from '@nestjs/common';
import type { Strategy } from 'passport';
import { ProviderNotConfigured } from '../common/errors';
import { OAuthProvider } from './provider';

/**
 * The OAuth providers of this app, with their Passport strategies; each provider module adds its own
 * when enabled. The flow authenticates with the strategy instance kept here, not by name through
 * Passport's process-wide registry, so two apps in one process (tests, or embedding) stay apart.
 */
@Injectable()
export class ProviderCatalog {
  private readonly providers = new Map<string, OAuthProvider>();
  private readonly strategies = new Map<string, Strategy>();

  add(provider: OAuthProvider, strategy: Strategy): void {
    if (this.providers.has(provider.name)) throw new Error(`Provider "${provider.name}" is registered twice`);
    this.providers.set(provider.name, provider);
    this.strategies.set(provider.name, strategy);
  }

  strategy(name: string): Strategy {
    const strategy = this.strategies.get(name);
    if (!strategy) throw new ProviderNotConfigured(name);
    return strategy;
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
