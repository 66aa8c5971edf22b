import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const SUBSCRIPTION_STATUSES = ['active', 'pending_verification'] as const;
/** `pending_verification`: registered, but the provider has not completed its handshake yet (Keap). */
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/**
 * A webhook registered at a provider for one connection (docs/events.md). The provider posts to
 * `{PUBLIC_URL}/events/{provider}/{token}`: only the token's SHA-256 is stored, so the table alone
 * cannot forge a delivery URL. `secret` is what the provider handed back for signing (ClickFunnels 2.0's
 * endpoint `webhook_secret`), encrypted like tokens; `remote_id` is the provider's id of the webhook, to
 * unregister it.
 */
@Entity({ name: 'event_subscriptions' })
@Check('ck_event_subscriptions_status', `status IN (${list(SUBSCRIPTION_STATUSES)})`)
@Index('ix_event_subscriptions_connection', ['connectionId', 'createdAt'])
export class EventSubscriptionEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  /** The provider's event names this subscription asked for. */
  @Column({ type: 'text', array: true })
  events!: string[];

  @Column({ type: 'varchar', length: 32 })
  status!: SubscriptionStatus;

  /** SHA-256 (hex) of the URL token. */
  @Index('ux_event_subscriptions_token', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  /** The provider's ids of what was registered (one per event where the provider registers one at a time). */
  @Column({ name: 'remote_ids', type: 'text', array: true, default: '{}' })
  remoteIds!: string[];

  /** Encrypted envelope (TokenCipher, context of this row) of the provider's signing secret, if any. */
  @Column({ type: 'text', nullable: true })
  secret!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
