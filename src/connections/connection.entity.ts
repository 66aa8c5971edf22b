import { CONNECTION_STATUSES, ConnectionStatus, LastError, sqlList } from './connection-status';
import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, Unique, UpdateDateColumn } from 'typeorm';

/**
 * One end user's account at one provider. The id is chosen by the service before the first insert
 * because it is bound into the tokens' encryption (AAD): reconnecting updates the same row.
 */
@Entity({ name: 'connections' })
@Unique('uq_connections_provider_owner_account', ['provider', 'ownerId', 'accountId'])
@Check('ck_connections_status', `status IN (${sqlList(CONNECTION_STATUSES)})`)
// A revoked connection has no tokens and a revocation time; every other one has an access token.
@Check(
  'ck_connections_revoked_tokens',
  `(status = '${ConnectionStatus.Revoked}' AND revoked_at IS NOT NULL AND access_token IS NULL AND refresh_token IS NULL) OR (status <> '${ConnectionStatus.Revoked}' AND revoked_at IS NULL AND access_token IS NOT NULL)`,
)
// List filters; keyset pagination orders by (created_at DESC, id DESC).
@Index('ix_connections_created', ['createdAt', 'id'])
@Index('ix_connections_provider_created', ['provider', 'createdAt', 'id'])
@Index('ix_connections_owner_created', ['ownerId', 'createdAt', 'id'])
@Index('ix_connections_status_created', ['status', 'createdAt', 'id'])
// An app-level provider event (an uninstall) names the provider-side account, not the connection.
@Index('ix_connections_provider_account', ['provider', 'accountId'])
// The sweep: due refreshes per provider (only rows with a refresh token), and due whoami checks.
@Index('ix_connections_refresh_due', ['provider', 'expiresAt'], { where: 'refresh_token IS NOT NULL' })
@Index('ix_connections_refresh_horizon', ['provider', 'refreshTokenExpiresAt'], { where: 'refresh_token IS NOT NULL' })
@Index('ix_connections_verify_due', ['provider', 'nextVerifyAt'], { where: 'refresh_token IS NULL' })
export class ConnectionEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ name: 'owner_id', type: 'varchar', length: 255 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 32, default: ConnectionStatus.Active })
  status!: ConnectionStatus;

  /** Provider-side identity (docs/providers.md); 'default' where the provider has none. NOT NULL so the unique key holds. */
  @Column({ name: 'account_id', type: 'varchar', length: 255 })
  accountId!: string;

  @Column({ name: 'team_id', type: 'varchar', length: 255, nullable: true })
  teamId!: string | null;

  @Column({ name: 'team_name', type: 'varchar', length: 255, nullable: true })
  teamName!: string | null;

  @Column({ name: 'workspace_id', type: 'varchar', length: 255, nullable: true })
  workspaceId!: string | null;

  @Column({ name: 'workspace_name', type: 'varchar', length: 255, nullable: true })
  workspaceName!: string | null;

  @Column({ name: 'api_base_url', type: 'text', nullable: true })
  apiBaseUrl!: string | null;

  @Column({ type: 'text', array: true, default: '{}' })
  scopes!: string[];

  @Column({ name: 'token_type', type: 'varchar', length: 32, default: 'Bearer' })
  tokenType!: string;

  /** Encrypted envelope (TokenCipher), never plaintext; null only when `revoked` (the tokens were deleted). */
  @Column({ name: 'access_token', type: 'text', nullable: true })
  accessToken!: string | null;

  /** Encrypted envelope (TokenCipher), never plaintext; null when the provider issues none. */
  @Column({ name: 'refresh_token', type: 'text', nullable: true })
  refreshToken!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'refresh_token_expires_at', type: 'timestamptz', precision: 3, nullable: true })
  refreshTokenExpiresAt!: Date | null;

  @Column({ name: 'last_refreshed_at', type: 'timestamptz', precision: 3, nullable: true })
  lastRefreshedAt!: Date | null;

  @Column({ name: 'next_refresh_at', type: 'timestamptz', precision: 3, nullable: true })
  nextRefreshAt!: Date | null;

  /** When the next whoami check of a connection without refresh token is due (VERIFY_INTERVAL_HOURS). */
  @Column({ name: 'next_verify_at', type: 'timestamptz', precision: 3, nullable: true })
  nextVerifyAt!: Date | null;

  @Column({ name: 'last_verified_at', type: 'timestamptz', precision: 3, nullable: true })
  lastVerifiedAt!: Date | null;

  /** When the provider reported that the user uninstalled the app (status `revoked`); null otherwise. */
  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'refresh_failures', type: 'integer', default: 0 })
  refreshFailures!: number;

  @Column({ name: 'last_error', type: 'jsonb', nullable: true })
  lastError!: LastError | null;

  @Column({ name: 'lease_owner', type: 'varchar', length: 128, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', precision: 3, nullable: true })
  leaseUntil!: Date | null;

  /** Bumped by every token write; the compare-and-set of refreshes. Metadata edits leave it alone. */
  @Column({ name: 'token_version', type: 'integer', default: 1 })
  tokenVersion!: number;

  @Column({ type: 'jsonb', default: {} })
  metadata!: Record<string, unknown>;

  // Millisecond precision so a keyset cursor built from a JS Date compares exactly.
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
