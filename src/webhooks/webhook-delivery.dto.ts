import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../common/page-query';
import { DELIVERY_STATUSES, DeliveryStatus, WEBHOOK_EVENTS, WebhookEvent } from './webhook-delivery.entity';

export class WebhookDelivery {
  @ApiProperty({ format: 'uuid', description: 'Sent as webhook-id `msg_<id>`' })
  id!: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, enumName: 'WebhookEventType' })
  eventType!: WebhookEvent;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  connectionId!: string | null;

  @ApiProperty({ enum: DELIVERY_STATUSES, enumName: 'WebhookDeliveryStatus' })
  status!: DeliveryStatus;

  @ApiProperty({ example: 1 })
  attempts!: number;

  @ApiProperty({ format: 'date-time' })
  nextAttemptAt!: string;

  @ApiProperty({ type: Number, nullable: true, description: "The receiver's last HTTP status" })
  lastStatus!: number | null;

  @ApiProperty({ type: String, nullable: true })
  lastError!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The body as sent: {type, timestamp, data}' })
  payload!: Record<string, unknown>;
}

export class WebhookDeliveryList {
  @ApiProperty({ type: [WebhookDelivery] })
  data!: WebhookDelivery[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class ListWebhookDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, enumName: 'WebhookDeliveryStatus' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}
