import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhooksController } from './webhooks.controller';

/** The outbox table, its dispatcher (Standard Webhooks) and the deliveries API. */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookDeliveryEntity])],
  controllers: [WebhooksController],
  providers: [WebhookDeliveriesRepository, WebhookDispatcher],
  exports: [WebhookDeliveriesRepository, WebhookDispatcher],
})
export class WebhooksModule {}
