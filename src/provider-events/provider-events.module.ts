import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectionsModule } from '../connections/connections.module';
import { TokenLifecycleModule } from '../token-lifecycle/token-lifecycle.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { EventSubscriptionEntity } from './event-subscription.entity';
import { InboundEventEntity } from './inbound-event.entity';
import { EventsRouteGuard } from './events-route.guard';
import { InboundEventsController } from './inbound-events.controller';
import { InboundEventsRepository } from './inbound-events.repository';
import { InboundEventsService } from './inbound-events.service';
import { providerEventsConfig } from './provider-events.config';
import { SubscriptionRemovalWorker } from './subscription-removal-worker';
import { SubscriptionRemovalsRepository } from './subscription-removals.repository';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsService } from './subscriptions.service';

/** The providers' own events: subscriptions, the inbound routes, dedupe and forwarding (docs/events.md). */
@Module({
  imports: [
    ConfigModule.forFeature(providerEventsConfig),
    TypeOrmModule.forFeature([EventSubscriptionEntity, InboundEventEntity]),
    ConnectionsModule,
    TokenLifecycleModule,
    WebhooksModule,
  ],
  controllers: [InboundEventsController, SubscriptionsController],
  providers: [
    InboundEventsRepository,
    InboundEventsService,
    SubscriptionsService,
    SubscriptionRemovalsRepository,
    SubscriptionRemovalWorker,
    EventsRouteGuard,
  ],
  exports: [InboundEventsService, InboundEventsRepository, SubscriptionRemovalWorker],
})
export class ProviderEventsModule {}
