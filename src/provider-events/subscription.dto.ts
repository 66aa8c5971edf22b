import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Length, Matches } from 'class-validator';
import { DATE_TIME_SCHEMA, PROVIDER_NAME_SCHEMA, UUID_SCHEMA } from '../common/limits';
import { NO_NUL } from '../common/validation';
import { SubscriptionStatus } from './event-subscription.entity';

const API_SUBSCRIPTION_STATUSES = ['active', 'pending_verification'] as const;

/** Event names per subscription: far above any provider's list (the longest, Keap's, has about 40). */
export const SUBSCRIPTION_EVENTS_MAX_ITEMS = 100;
/** An event name (`contact/applied_tag.created`); the inbound_events column is varchar(255). */
export const EVENT_NAME_MAX_LENGTH = 255;
/** GET /connections/{id}/subscriptions answers the oldest this many. */
export const SUBSCRIPTIONS_LIST_MAX_ITEMS = 1000;

const EVENTS_SCHEMA = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: EVENT_NAME_MAX_LENGTH },
  maxItems: SUBSCRIPTION_EVENTS_MAX_ITEMS,
} as const;

export class CreateSubscriptionRequest {
  @ApiProperty({
    ...EVENTS_SCHEMA,
    minItems: 1,
    description:
      "The provider's event names (GET /providers lists them). Lightfunnels: exactly one, its deliveries do not name their type.",
    example: ['contact.add'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SUBSCRIPTION_EVENTS_MAX_ITEMS)
  @IsString({ each: true })
  @Length(1, EVENT_NAME_MAX_LENGTH, { each: true })
  @Matches(NO_NUL, { each: true, message: 'events must not contain U+0000' })
  events!: string[];
}

export class Subscription {
  @ApiProperty({ ...UUID_SCHEMA, description: 'Subscription id' })
  id!: string;

  @ApiProperty({ ...UUID_SCHEMA })
  connectionId!: string;

  @ApiProperty({ ...PROVIDER_NAME_SCHEMA, example: 'keap' })
  provider!: string;

  @ApiProperty({ ...EVENTS_SCHEMA, example: ['contact.add'] })
  events!: string[];

  @ApiProperty({
    // `removing` is the queue state of a deleted connection's subscriptions: the API never shows one.
    enum: API_SUBSCRIPTION_STATUSES,
    enumName: 'SubscriptionStatus',
    description:
      "`pending_verification`: registered, but the provider's handshake has not arrived yet (Keap's X-Hook-Secret)",
  })
  status!: Exclude<SubscriptionStatus, 'removing'>;

  @ApiProperty(DATE_TIME_SCHEMA)
  createdAt!: string;
}

export class SubscriptionList {
  @ApiProperty({ type: [Subscription], maxItems: SUBSCRIPTIONS_LIST_MAX_ITEMS })
  data!: Subscription[];
}

export class DeleteSubscriptionResponse {
  @ApiProperty({ ...UUID_SCHEMA })
  id!: string;

  @ApiProperty({
    description:
      'True when the webhook was removed at the provider; false when there was nothing to call it with (a revoked connection, a provider no longer configured)',
    example: true,
  })
  removedAtProvider!: boolean;
}
