import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const SUBSCRIPTION_STATUSES = ['active', 'pending_verification', 'removing'] as const;
/**
 * `pending_verification`: registered, but the provider has not completed its handshake yet (Keap).
 * `removing`: its connection was deleted while the provider could not be reached to unregister it; the
 * removal worker retries with the access token kept in the row (docs/events.md "Deleting").
 */
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
@Check(
  'ck_event_subscriptions_removal',
  `(status = 'removing' AND access_token IS NOT NULL AND removal_target IS NOT NULL AND next_attempt_at IS NOT NULL) OR (status <> 'removing' AND access_token IS NULL)`,
)
@Index('ix_event_subscriptions_connection', ['connectionId', 'createdAt'])
// The removal worker's claim: due removals.
@Index('ix_event_subscriptions_removal_due', ['nextAttemptAt'], { where: `status = 'removing'` })
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

  /**
   * While `removing`: the deleted connection's access token, encrypted for this row
   * (subscriptionTokenContext), to unregister with; the connection row that held it is gone.
   */
  @Column({ name: 'access_token', type: 'text', nullable: true })
  accessToken!: string | null;

  /** While `removing`: where and for whom the unregistration goes (the deleted connection's API base, account, workspace). */
  @Column({ name: 'removal_target', type: 'jsonb', nullable: true })
  removalTarget!: { apiBase: string; accountId: string; workspaceId: string | null } | null;

  /** Failed unregistration attempts so far (the DELETE's own attempt included). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', precision: 3, nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'lease_owner', type: 'varchar', length: 128, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', precision: 3, nullable: true })
  leaseUntil!: Date | null;

  /** The last attempt's failure, a code of ours (the ProviderError kind), never the provider's text. */
  @Column({ name: 'last_error', type: 'varchar', length: 32, nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
