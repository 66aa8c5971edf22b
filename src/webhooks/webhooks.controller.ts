import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { DomainError } from '../common/errors';
import { UUID_SCHEMA } from '../common/limits';
import { UuidParam } from '../common/validation';
import { decodeCursor, keysetPage } from '../common/keyset';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { ListWebhookDeliveriesQuery, WebhookDelivery, WebhookDeliveryList } from './webhook-delivery.dto';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';

const toDto = (d: WebhookDeliveryEntity): WebhookDelivery => ({
  id: d.id,
  eventType: d.eventType,
  connectionId: d.connectionId,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.nextAttemptAt.toISOString(),
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  deliveredAt: d.deliveredAt ? d.deliveredAt.toISOString() : null,
  createdAt: d.createdAt.toISOString(),
  payload: d.payload,
});

@ApiTags('webhooks')
@RequireScope('webhooks')
@Controller('webhook-deliveries')
export class WebhooksController {
  constructor(private readonly deliveries: WebhookDeliveriesRepository) {}

  @Get()
  @ApiOperation({ operationId: 'listWebhookDeliveries', summary: 'List outbound webhook deliveries, newest first' })
  @ApiOkResponse({ type: WebhookDeliveryList })
  @ApiErrors(400)
  async list(@Query() query: ListWebhookDeliveriesQuery): Promise<WebhookDeliveryList> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.deliveries.findPage(query.status, query.limit + 1, after);
    return keysetPage(rows, query.limit, toDto);
  }

  @Post(':id/redeliver')
  @HttpCode(200)
  @ApiOperation({ operationId: 'redeliverWebhook', summary: 'Send a delivery again (e.g. after it failed)' })
  @ApiParam({ name: 'id', schema: UUID_SCHEMA })
  @ApiOkResponse({ type: WebhookDelivery })
  @ApiErrors(400, 404)
  async redeliver(@Param('id', UuidParam) id: string): Promise<WebhookDelivery> {
    const delivery = await this.deliveries.redeliver(id, new Date());
    if (!delivery) throw new DomainError('webhook_delivery_not_found', 404, `Webhook delivery ${id} does not exist`);
    return toDto(delivery);
  }
}
