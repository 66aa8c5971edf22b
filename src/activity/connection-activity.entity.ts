import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** What an entry records (docs/operations.md "Activity"); the CHECK and the API's enum read this list. */
export const ACTIVITY_TYPES = [
  'connected',
  'reconnected',
  'refreshed',
  'refresh_failed',
  'verified',
  'verify_failed',
  'status_changed',
  'revoked',
  'subscription_created',
  'subscription_removed',
  'inbound_event',
  'deleted',
  'proxy_calls',
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** The provider's answers to proxy calls, counted per class: 2 = 2xx … 5 = 5xx. */
export const STATUS_CLASSES = [2, 3, 4, 5] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** `code` (ours: a failure kind such as `invalid_grant`, `uninstalled`), as long as `last_error.code` may be. */
export const ACTIVITY_CODE_MAX_LENGTH = 64;
/** An event name, as `inbound_events.event_type` and a subscription's events keep it. */
export const ACTIVITY_EVENT_MAX_LENGTH = 255;

/**
 * One line of a connection's history: append-only (only the hourly proxy counters are added to), kept
 * ACTIVITY_RETENTION_DAYS. No foreign key: a deleted connection's history stays until it ages out.
 * Never a token, code, secret, payload or provider text: statuses, our own codes and event names only.
 * ConnectionActivity (activity/connection-activity.ts) is the table's only owner.
 */
@Entity({ name: 'connection_activity' })
@Check('ck_connection_activity_type', `type IN (${ACTIVITY_TYPES.map((t) => `'${t}'`).join(', ')})`)
@Check(
  'ck_connection_activity_proxy_calls',
  `(type = 'proxy_calls') = (status_class IS NOT NULL AND calls IS NOT NULL)`,
)
// The API's and the console's pages: one connection, newest first, keyset on (created_at, id).
@Index('ix_connection_activity_connection', ['connectionId', 'createdAt', 'id'])
// The hourly purge.
@Index('ix_connection_activity_created', ['createdAt'])
// The upsert of the proxy counters: one row per connection, hour and status class.
@Index('ux_connection_activity_proxy_calls', ['connectionId', 'createdAt', 'statusClass'], {
  unique: true,
  where: `type = 'proxy_calls'`,
})
export class ConnectionActivityEntity {
  /** Insertion order: breaks ties between entries of the same millisecond (one transaction's entries). */
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    primaryKeyConstraintName: 'PK_connection_activity',
  })
  id!: string;

  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId!: string;

  /**
   * When it happened, by the database's clock (the moment of the statement, so two replicas' entries
   * order by one clock); the start of the hour for `proxy_calls`. Milliseconds, as the cursor carries it.
   */
  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'clock_timestamp()' })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 32 })
  type!: ActivityType;

  /** The connection's status after it (for `deleted`: when it was deleted); null where it says nothing about it. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  status!: string | null;

  /** `status_changed`, `revoked`: the status before. */
  @Column({ name: 'previous_status', type: 'varchar', length: 32, nullable: true })
  previousStatus!: string | null;

  /** `refresh_failed`, `verify_failed`, `status_changed`, `revoked`: the service's code of the failure. */
  @Column({ type: 'varchar', length: ACTIVITY_CODE_MAX_LENGTH, nullable: true })
  code!: string | null;

  @Column({ name: 'subscription_id', type: 'uuid', nullable: true })
  subscriptionId!: string | null;

  /** `subscription_*`: the subscription's events; `inbound_event`: the event's type (one name). */
  @Column({ type: 'varchar', length: ACTIVITY_EVENT_MAX_LENGTH, array: true, nullable: true })
  events!: string[] | null;

  /** `proxy_calls`: 2…5 for 2xx…5xx. */
  @Column({ name: 'status_class', type: 'smallint', nullable: true })
  statusClass!: StatusClass | null;

  /** `proxy_calls`: calls answered in that class during the hour. */
  @Column({ type: 'integer', nullable: true })
  calls!: number | null;
}
