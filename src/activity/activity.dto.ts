import { ApiProperty } from '@nestjs/swagger';
import { CURSOR_MAX_LENGTH, DATE_TIME_SCHEMA, PAGE_MAX_ITEMS, UUID_SCHEMA } from '../common/limits';
import { CONNECTION_STATUSES, ConnectionStatus } from '../connections/connection-status';
import {
  ACTIVITY_CODE_MAX_LENGTH,
  ACTIVITY_EVENT_MAX_LENGTH,
  ACTIVITY_TYPES,
  ActivityType,
} from './connection-activity.entity';

export const STATUS_CLASS_NAMES = ['2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClassName = (typeof STATUS_CLASS_NAMES)[number];

/** A nullable connection status (inline: a nullable reference to the shared enum reads worse in clients). */
const STATUS_SCHEMA = { type: String, enum: CONNECTION_STATUSES, nullable: true } as const;

/** One entry of a connection's activity: statuses, the service's own codes, event names and counts only. */
export class ActivityEntry {
  @ApiProperty({
    enum: ACTIVITY_TYPES,
    enumName: 'ActivityType',
    example: 'refresh_failed',
    description:
      '`connected`, `reconnected`, `deleted`; `refreshed`, `refresh_failed` (code); `verified`, `verify_failed` (code): a whoami check; `status_changed` (previousStatus → status, code); `revoked`: the provider reported that the user uninstalled the app; `subscription_created`, `subscription_removed` (subscriptionId, events); `inbound_event` (events: its type); `proxy_calls`: the proxy calls of one hour (starting at `at`) the provider answered in `statusClass`, counted in `calls`',
  })
  type!: ActivityType;

  @ApiProperty({
    ...DATE_TIME_SCHEMA,
    description: 'When it happened (the database clock); for `proxy_calls` the start of the hour counted',
  })
  at!: string;

  @ApiProperty({
    ...STATUS_SCHEMA,
    description:
      "The connection's status after it (for `deleted`: when it was deleted); null for entries that do not change it",
    example: 'needs_reauth',
  })
  status!: ConnectionStatus | null;

  @ApiProperty({ ...STATUS_SCHEMA, description: '`status_changed`, `revoked`: the status before', example: 'active' })
  previousStatus!: ConnectionStatus | null;

  @ApiProperty({
    type: String,
    maxLength: ACTIVITY_CODE_MAX_LENGTH,
    pattern: '^[a-z0-9_]+$',
    nullable: true,
    description:
      "The service's code of the failure (`invalid_grant`, `unavailable`, `unauthorized`, `uninstalled`, …: as `lastError.code`); never the provider's text",
    example: 'invalid_grant',
  })
  code!: string | null;

  @ApiProperty({ ...UUID_SCHEMA, type: String, nullable: true, description: '`subscription_*`', example: null })
  subscriptionId!: string | null;

  @ApiProperty({
    type: 'array',
    items: { type: 'string', maxLength: ACTIVITY_EVENT_MAX_LENGTH },
    maxItems: 100,
    nullable: true,
    description: "`subscription_*`: the subscription's events; `inbound_event`: the event's type (never its payload)",
    example: null,
  })
  events!: string[] | null;

  @ApiProperty({ enum: STATUS_CLASS_NAMES, type: String, nullable: true, description: '`proxy_calls`', example: null })
  statusClass!: StatusClassName | null;

  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: 2147483647,
    nullable: true,
    description: '`proxy_calls`: how many',
    example: null,
  })
  calls!: number | null;
}

export class ActivityPage {
  @ApiProperty({ type: [ActivityEntry], maxItems: PAGE_MAX_ITEMS })
  data!: ActivityEntry[];

  @ApiProperty({
    type: String,
    maxLength: CURSOR_MAX_LENGTH,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
    example: null,
  })
  nextCursor!: string | null;
}
