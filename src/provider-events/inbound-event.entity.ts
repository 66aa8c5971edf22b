import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One genuine provider event as received: what it was and where it went, never its payload (that is in
 * the outbound delivery it became). The unique (provider, dedupe_key) makes a provider's retry a no-op:
 * `dedupe_key` is the provider's event id, or the SHA-256 of the signed bytes where it gives none. Rows
 * are kept EVENTS_DEDUPE_HOURS, then purged.
 */
@Entity({ name: 'inbound_events' })
@Index('ux_inbound_events_dedupe', ['provider', 'dedupeKey'], { unique: true })
@Index('ix_inbound_events_connection', ['connectionId', 'receivedAt'])
@Index('ix_inbound_events_received', ['receivedAt'])
export class InboundEventEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ name: 'dedupe_key', type: 'varchar', length: 300 })
  dedupeKey!: string;

  @Column({ name: 'subscription_id', type: 'uuid', nullable: true })
  subscriptionId!: string | null;

  @Column({ name: 'connection_id', type: 'uuid', nullable: true })
  connectionId!: string | null;

  /** The provider's event name. */
  @Column({ name: 'event_type', type: 'varchar', length: 255 })
  eventType!: string;

  @Column({ name: 'event_id', type: 'varchar', length: 255, nullable: true })
  eventId!: string | null;

  @Column({ name: 'received_at', type: 'timestamptz', precision: 3 })
  receivedAt!: Date;

  /** The outbound `provider.event` delivery it became (null when no WEBHOOK_URL is configured). */
  @Column({ name: 'delivery_id', type: 'uuid', nullable: true })
  deliveryId!: string | null;
}
