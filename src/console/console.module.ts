import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsoleSessionEntity } from './console-session.entity';
import { ConnectSessionsModule } from '../connect-sessions/connect-sessions.module';
import { ConnectionsModule } from '../connections/connections.module';
import { ProviderEventsModule } from '../provider-events/provider-events.module';
import { providerEventsConfig } from '../provider-events/provider-events.config';
import { TokenLifecycleModule } from '../token-lifecycle/token-lifecycle.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { consoleConfig } from './console.config';
import { ConsoleGuard } from './console.guard';
import { ConsoleAssetsController } from './console-assets.controller';
import { ConsoleAuthController } from './console-auth.controller';
import { ConsoleConnectionsController } from './console-connections.controller';
import { ConsoleKeysController } from './console-keys.controller';
import { ConsoleOverviewController } from './console-overview.controller';
import { ConsoleSessions } from './console-session';
import { ConsoleWebhooksController } from './console-webhooks.controller';

/**
 * The operator console at /admin (docs/console.md): server-rendered pages (@fastify/view + Eta) behind a
 * session that an admin API key opens. Loaded unless ADMIN_CONSOLE=false, in every mode.
 */
@Module({
  imports: [
    ConfigModule.forFeature(consoleConfig),
    // EVENTS_DEDUPE_HOURS: how long the connection page's events go back.
    ConfigModule.forFeature(providerEventsConfig),
    TypeOrmModule.forFeature([ConsoleSessionEntity]),
    ConnectionsModule,
    ConnectSessionsModule,
    ProviderEventsModule,
    TokenLifecycleModule,
    WebhooksModule,
  ],
  controllers: [
    ConsoleAssetsController,
    ConsoleAuthController,
    ConsoleOverviewController,
    ConsoleConnectionsController,
    ConsoleWebhooksController,
    ConsoleKeysController,
  ],
  providers: [ConsoleSessions, ConsoleGuard],
})
export class ConsoleModule {}
