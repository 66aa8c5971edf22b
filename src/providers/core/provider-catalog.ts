import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Strategy } from 'passport';
import { HttpClient } from '../../common/http-client';
import { ProviderNotConfigured } from '../../common/errors';
import { appConfig } from '../../config/app.config';
import { FLOW_STATE_STORE, FlowStateStore, ProviderStrategyClass } from './oauth-strategy';
import { OAuthProvider } from './provider';
import { ProviderSettings } from './provider-settings';

/** The configured providers' settings, in configuration order (provided by ProvidersModule). */
export const PROVIDER_SETTINGS = Symbol('PROVIDER_SETTINGS');

/** What a provider folder contributes: how to build its wire half and its Passport (browser) half. */
export interface ProviderDefinition {
  name: string;
  create(settings: ProviderSettings, http: HttpClient): OAuthProvider;
  Strategy: ProviderStrategyClass;
}

export const callbackUrl = (publicUrl: string, provider: string) => `${publicUrl}/oauth/${provider}/callback`;

/**
 * The OAuth providers of this app, with their Passport strategies. Each provider module registers its
 * definition in its onModuleInit; a provider without credentials (no settings) contributes nothing.
 * So the catalog is complete only once the app is initialised: read it at request time, at scrape
 * time or from onApplicationBootstrap, never from a constructor or another module's onModuleInit. The flow authenticates
 * with the strategy instance kept here, not by name through Passport's process-wide registry, so two
 * apps in one process (tests, or embedding) stay apart.
 */
@Injectable()
export class ProviderCatalog {
  private readonly providers = new Map<string, OAuthProvider>();
  private readonly strategies = new Map<string, Strategy>();
  private readonly settingsByName: ReadonlyMap<string, ProviderSettings>;

  constructor(
    @Inject(PROVIDER_SETTINGS) private readonly settings: readonly ProviderSettings[],
    private readonly http: HttpClient,
    @Inject(FLOW_STATE_STORE) private readonly stateStore: FlowStateStore,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {
    this.settingsByName = new Map(settings.map((s) => [s.name, s]));
  }

  /** Builds the provider and its strategy when the provider is configured. */
  register(definition: ProviderDefinition): void {
    const settings = this.settingsByName.get(definition.name);
    if (!settings) return;
    if (this.providers.has(definition.name)) throw new Error(`Provider "${definition.name}" is registered twice`);
    const provider = definition.create(settings, this.http);
    this.providers.set(provider.name, provider);
    this.strategies.set(
      provider.name,
      new definition.Strategy(provider, this.stateStore, callbackUrl(this.app.publicUrl, provider.name)),
    );
  }

  /** Every configured provider (in configuration order): settings without a registered module are skipped. */
  list(): OAuthProvider[] {
    return this.settings.map((s) => this.providers.get(s.name)).filter((p): p is OAuthProvider => p !== undefined);
  }

  find(name: string): OAuthProvider | undefined {
    return this.providers.get(name);
  }

  /** Throws ProviderNotConfigured (400) for names that are unknown or have no credentials. */
  get(name: string): OAuthProvider {
    const provider = this.providers.get(name);
    if (!provider) throw new ProviderNotConfigured(name);
    return provider;
  }

  strategy(name: string): Strategy {
    const strategy = this.strategies.get(name);
    if (!strategy) throw new ProviderNotConfigured(name);
    return strategy;
  }
}

/**
 * The base of every provider's Nest module: on init it registers the module's definition with the
 * catalog. Adding a provider is its folder plus one line in providers/built-in-providers.ts.
 */
// @Module (not @Injectable, which a module must not carry) so TypeScript records the constructor's
// parameter types here, where the subclasses inherit them.
@Module({})
export abstract class ProviderModule implements OnModuleInit {
  constructor(protected readonly catalog: ProviderCatalog) {}

  protected abstract definitions(): ProviderDefinition[];

  onModuleInit(): void {
    for (const definition of this.definitions()) this.catalog.register(definition);
  }
}
