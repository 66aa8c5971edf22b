import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookOutbox } from './webhook-outbox';
import { WebhooksController } from './webhooks.controller';

/** Global so the modules whose changes are events can write to the outbox in their transactions. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([WebhookDeliveryEntity])],
  controllers: [WebhooksController],
  providers: [WebhookOutbox, WebhookDispatcher],
  exports: [WebhookOutbox, WebhookDispatcher],
})
export class WebhooksModule {}
