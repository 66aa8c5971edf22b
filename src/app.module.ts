import { DynamicModule, Module, Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { ActivityModule } from './activity/activity.module';
import { ProxyCallFlusherModule } from './activity/proxy-call-flusher';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { appConfig } from './config/app.config';
import { databaseConfig } from './config/database.config';
import { ConfigError, nodeEnv } from './config/env';
import { securityConfig } from './crypto/secrets.config';
import { ConnectionsModule } from './connections/connections.module';
import { CryptoModule } from './crypto/crypto.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { ConnectSessionsModule } from './connect-sessions/connect-sessions.module';
import { OAuthModule } from './oauth/oauth.module';
import { ConnectModule } from './connect/connect.module';
import { TokenLifecycleModule } from './token-lifecycle/token-lifecycle.module';
import { tokenLifecycleConfig } from './token-lifecycle/token-lifecycle.config';
import { WebhooksModule } from './webhooks/webhooks.module';
import { EventsModule } from './events/events.module';
import { MetricsModule } from './metrics/metrics.module';
import { webhooksConfig } from './webhooks/webhooks.config';
import { BUILT_IN_PROVIDER_MODULES } from './providers/built-in-providers';
import { GenericProvidersModule } from './providers/generic/generic.module';
import { loadProvidersConfig, providersConfig } from './providers/providers.config';
import { ProvidersModule } from './providers/providers.module';
import { RevocationsModule } from './revocations/revocations.module';
import { ProxyModule } from './proxy/proxy.module';
import { ProviderEventsModule } from './provider-events/provider-events.module';
import { ConsoleModule } from './console/console.module';
import { loadConsoleConfig } from './console/console.config';

@Module({})
export class AppModule {
  static register(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          cache: true,
          // A developer's .env must not leak into tests.
          ignoreEnvFile: nodeEnv() === 'test',
          load: [appConfig, securityConfig, databaseConfig, providersConfig, tokenLifecycleConfig, webhooksConfig],
        }),
        AuthModule,
        DatabaseModule,
        MetricsModule,
        CryptoModule,
        ProvidersModule,
        ConnectionsModule,
        ConnectSessionsModule,
        OAuthModule,
        ConnectModule,
        TokenLifecycleModule,
        WebhooksModule,
        EventsModule,
        ActivityModule,
        ProxyCallFlusherModule,
        RevocationsModule,
        ProxyModule,
        ProviderEventsModule,
        ...BUILT_IN_PROVIDER_MODULES,
        GenericProvidersModule,
        HealthModule,
        ...(loadConsoleConfig().enabled ? [ConsoleModule] : []),
        // Read here (not through DI) because it decides which modules exist.
        ...(loadProvidersConfig().sandbox ? [developmentModule()] : []),
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}

/**
 * The development module (simulators, development page) is not in the production build (see the
 * Dockerfile): required only when it runs, so nothing else in src/ imports it.
 */
function developmentModule(): Type {
  // Not even a type import: that would pull the module into the production build.
  let loaded: { DevelopmentModule: Type };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('./dev/development.module') as { DevelopmentModule: Type };
  } catch (error) {
    const missing = (error as { code?: string }).code === 'MODULE_NOT_FOUND';
    if (!missing || !String((error as Error).message).includes('development.module')) throw error;
    throw new ConfigError([
      'SANDBOX: this is the production build, without the provider simulators; set provider credentials (or SANDBOX=false), or NODE_ENV=production',
    ]);
  }
  return loaded.DevelopmentModule;
}
