import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectionsModule } from '../connections/connections.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { EventSubscriptionEntity } from './event-subscription.entity';
import { InboundEventEntity } from './inbound-event.entity';
import { InboundEventsController } from './inbound-events.controller';
import { InboundEventsRepository } from './inbound-events.repository';
import { InboundEventsService } from './inbound-events.service';
import { providerEventsConfig } from './provider-events.config';

/** The providers' own events: subscriptions, the inbound routes, dedupe and forwarding (docs/events.md). */
@Module({
  imports: [
    ConfigModule.forFeature(providerEventsConfig),
    TypeOrmModule.forFeature([EventSubscriptionEntity, InboundEventEntity]),
    ConnectionsModule,
    WebhooksModule,
  ],
  controllers: [InboundEventsController],
  providers: [InboundEventsRepository, InboundEventsService],
  exports: [InboundEventsService, InboundEventsRepository],
})
export class ProviderEventsModule {}
