import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ApiErrors } from '../common/api-errors.decorator';
import { DomainError } from '../common/errors';
import { UuidParam } from '../common/validation';
import { decodeCursor, encodeCursor } from '../connections/cursor';
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
@ApiBearerAuth()
@Controller('webhook-deliveries')
export class WebhooksController {
  constructor(
    @InjectRepository(WebhookDeliveryEntity) private readonly deliveries: Repository<WebhookDeliveryEntity>,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listWebhookDeliveries', summary: 'List outbound webhook deliveries, newest first' })
  @ApiOkResponse({ type: WebhookDeliveryList })
  @ApiErrors(400, 401)
  async list(@Query() query: ListWebhookDeliveriesQuery): Promise<WebhookDeliveryList> {
    const q = this.deliveries.createQueryBuilder('d');
    if (query.status) q.andWhere('d.status = :status', { status: query.status });
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      q.andWhere('(d.created_at, d.id) < (:t, :i)', { t: after.createdAt, i: after.id });
    }
    const rows = await q
      .orderBy('d.created_at', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .take(query.limit + 1)
      .getMany();
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return { data: page.map(toDto), nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
  }

  @Post(':id/redeliver')
  @HttpCode(200)
  @ApiOperation({ operationId: 'redeliverWebhook', summary: 'Send a delivery again (e.g. after it failed)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: WebhookDelivery })
  @ApiErrors(400, 401, 404)
  async redeliver(@Param('id', UuidParam) id: string): Promise<WebhookDelivery> {
    const result = await this.deliveries.update(
      { id },
      { status: 'pending', nextAttemptAt: new Date(), leaseOwner: null, leaseUntil: null },
    );
    if (!result.affected)
      throw new DomainError('webhook_delivery_not_found', 404, `Webhook delivery ${id} does not exist`);
    return toDto(await this.deliveries.findOneByOrFail({ id }));
  }
}
