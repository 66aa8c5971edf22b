import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { CURSOR_MAX_LENGTH, DATE_TIME_SCHEMA, PAGE_MAX_ITEMS, UUID_SCHEMA } from '../common/limits';
import { PageQuery } from '../common/page-query';
import { DELIVERY_STATUSES, DeliveryStatus, WEBHOOK_EVENTS, WebhookEvent } from './webhook-delivery.entity';

export class WebhookDelivery {
  @ApiProperty({ ...UUID_SCHEMA, description: 'Sent as webhook-id `msg_<id>`' })
  id!: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, enumName: 'WebhookEventType' })
  eventType!: WebhookEvent;

  @ApiProperty({ ...UUID_SCHEMA, type: String, nullable: true })
  connectionId!: string | null;

  @ApiProperty({ enum: DELIVERY_STATUSES, enumName: 'WebhookDeliveryStatus' })
  status!: DeliveryStatus;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, example: 1 })
  attempts!: number;

  @ApiProperty(DATE_TIME_SCHEMA)
  nextAttemptAt!: string;

  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 100,
    maximum: 599,
    nullable: true,
    description: "The receiver's last HTTP status",
  })
  lastStatus!: number | null;

  // webhook-dispatcher.ts keeps at most 300 characters of a failure.
  @ApiProperty({ type: String, maxLength: 300, nullable: true })
  lastError!: string | null;

  @ApiProperty({ ...DATE_TIME_SCHEMA, type: String, nullable: true })
  deliveredAt!: string | null;

  @ApiProperty(DATE_TIME_SCHEMA)
  createdAt!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The body as sent: {type, timestamp, data}' })
  payload!: Record<string, unknown>;
}

export class WebhookDeliveryList {
  @ApiProperty({ type: [WebhookDelivery], maxItems: PAGE_MAX_ITEMS })
  data!: WebhookDelivery[];

  @ApiProperty({ type: String, maxLength: CURSOR_MAX_LENGTH, nullable: true })
  nextCursor!: string | null;
}

export class ListWebhookDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, enumName: 'WebhookDeliveryStatus' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}
