import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { FlowFailure, RecordedStatus } from './session-outcome';

/**
 * A one-time link that starts a browser flow for one owner at one of its providers. The link carries a
 * random token; only its SHA-256 is stored, so a database reader cannot start flows for other users.
 * The observe token (read-only: it tells the session's outcome) is stored the same way. The flow's end
 * is recorded here (status, and the connection or the error), so any replica can tell it.
 */
@Entity({ name: 'connect_sessions' })
@Index('ix_connect_sessions_expires', ['expiresAt'])
@Check('ck_connect_sessions_status', `status IN ('pending', 'connected', 'error')`)
@Check(
  'ck_connect_sessions_outcome',
  `(status = 'pending' AND connection_id IS NULL AND error IS NULL)
  OR (status = 'connected' AND connection_id IS NOT NULL AND error IS NULL)
  OR (status = 'error' AND connection_id IS NULL AND error IS NOT NULL)`,
)
@Check('ck_connect_sessions_provider', `provider IS NULL OR provider = ANY (providers)`)
export class ConnectSessionEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Index('uq_connect_sessions_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  /** The providers the link may start a flow at (one, or several for the hosted picker). */
  @Column({ type: 'varchar', length: 64, array: true })
  providers!: string[];

  /** The provider the flow went to: set when the link is opened (from the start for one provider). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  provider!: string | null;

  @Column({ name: 'owner_id', type: 'varchar', length: 255 })
  ownerId!: string;

  /** Empty for a session of several providers created without scopes: the chosen provider's defaults. */
  @Column({ type: 'text', array: true, default: '{}' })
  scopes!: string[];

  /** The API's returnUrl, or the browser's return_to (allowed, and only when the API gave none). */
  @Column({ name: 'return_url', type: 'text', nullable: true })
  returnUrl!: string | null;

  @Column({ type: 'jsonb', default: {} })
  metadata!: Record<string, unknown>;

  /** A reconnect: the flow must come back with this connection's provider account. */
  @Column({ name: 'reconnect_connection_id', type: 'uuid', nullable: true })
  reconnectConnectionId!: string | null;

  /** SHA-256 of the observe token; null for sessions made before it existed (they cannot be observed). */
  @Column({ name: 'observe_token_hash', type: 'varchar', length: 64, nullable: true })
  observeTokenHash!: string | null;

  /** The opener page's origin, when the browser named an allowed one: the result page posts to it only. */
  @Column({ type: 'text', nullable: true })
  origin!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;

  /** Set when the link was opened: a link starts one flow only. */
  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true })
  usedAt!: Date | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: RecordedStatus;

  /** The connection the flow produced (status connected). */
  @Column({ name: 'connection_id', type: 'uuid', nullable: true })
  connectionId!: string | null;

  /** Why the flow failed (status error): a FLOW_FAILURES code. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  error!: FlowFailure | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
