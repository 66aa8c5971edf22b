import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { SandboxAccount, WebhookStatus } from './simulators/simulator';

/**
 * State of the provider simulators. In Postgres so that several replicas share one simulator, in a
 * schema of its own that only the development module creates (never the service's migrations).
 * Codes and tokens are stored as SHA-256 hashes, like a real provider would.
 */
export const SANDBOX_SCHEMA = 'sandbox';

@Entity({ schema: SANDBOX_SCHEMA, name: 'codes' })
export class SandboxCodeEntity {
  @PrimaryColumn({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 255 })
  clientId!: string;

  @Column({ name: 'redirect_uri', type: 'text', nullable: true })
  redirectUri!: string | null;

  @Column({ type: 'text', default: '' })
  scope!: string;

  @Column({ name: 'code_challenge', type: 'varchar', length: 128, nullable: true })
  codeChallenge!: string | null;

  @Column({ type: 'jsonb' })
  account!: SandboxAccount;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true })
  usedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

@Entity({ schema: SANDBOX_SCHEMA, name: 'tokens' })
@Index('ix_sandbox_tokens_grant', ['grantId'])
export class SandboxTokenEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: 'access' | 'refresh';

  /** All tokens descending from one authorization share it (rotation, revocation). */
  @Column({ name: 'grant_id', type: 'uuid' })
  grantId!: string;

  @Column({ type: 'jsonb' })
  account!: SandboxAccount;

  @Column({ type: 'text', default: '' })
  scope!: string;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3, nullable: true })
  expiresAt!: Date | null;

  /** A refresh token that was exchanged (rotation): using it again is invalid_grant. */
  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/** A fault to inject into the next token-endpoint calls of one provider (test-only switch). */
@Entity({ schema: SANDBOX_SCHEMA, name: 'faults' })
export class SandboxFaultEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  /**
   * Which calls it applies to: token (code exchange and refresh), refresh only, revoke, whoami (the
   * whoami API calls only), api (every API call, whoami included).
   */
  @Column({ type: 'varchar', length: 16 })
  endpoint!: 'token' | 'refresh' | 'revoke' | 'whoami' | 'api';

  /** status_500 | status_503 | rate_limit | non_json | invalid_grant | invalid_client | invalid_token | no_access_token | error_200 | redirect | slow */
  @Column({ type: 'varchar', length: 32 })
  kind!: string;

  @Column({ name: 'retry_after', type: 'varchar', length: 64, nullable: true })
  retryAfter!: string | null;

  @Column({ name: 'delay_ms', type: 'integer', default: 0 })
  delayMs!: number;

  @Column({ type: 'integer', default: 1 })
  remaining!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/** Every token, revoke and API call the simulator answered, for tests that count refreshes or API calls. */
@Entity({ schema: SANDBOX_SCHEMA, name: 'calls' })
@Index('ix_sandbox_calls_provider', ['provider', 'createdAt'])
export class SandboxCallEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  /** token | revoke | whoami | api */
  @Column({ type: 'varchar', length: 16 })
  endpoint!: string;

  /** API calls: the route, e.g. `POST /contacts` (never the query string). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  route!: string | null;

  @Column({ name: 'grant_type', type: 'varchar', length: 64, nullable: true })
  grantType!: string | null;

  @Column({ name: 'grant_id', type: 'uuid', nullable: true })
  grantId!: string | null;

  @Column({ type: 'integer' })
  status!: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/** What API calls created (contacts), per provider and provider-side account (a Keap app, a workspace). */
@Entity({ schema: SANDBOX_SCHEMA, name: 'records' })
@Index('ix_sandbox_records_owner', ['provider', 'kind', 'owner', 'id'])
export class SandboxRecordEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: string;

  @Column({ type: 'varchar', length: 128 })
  owner!: string;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/**
 * A webhook registered through a simulator's API (ClickFunnels outgoing endpoints, Lightfunnels
 * createWebhook, Keap REST hooks, Webflow site webhooks), per provider and account. The signing secret
 * is kept as is: the simulator signs with it, as the provider does.
 */
@Entity({ schema: SANDBOX_SCHEMA, name: 'webhooks' })
@Index('ux_sandbox_webhooks_remote', ['provider', 'remoteId'], { unique: true })
@Index('ix_sandbox_webhooks_account', ['provider', 'account', 'id'])
export class SandboxWebhookEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  /** The provider's id of the webhook, as its API shows it. */
  @Column({ name: 'remote_id', type: 'varchar', length: 64 })
  remoteId!: string;

  /** The account, named as the service names the connection's account. */
  @Column({ type: 'varchar', length: 128 })
  account!: string;

  @Column({ type: 'text', array: true })
  events!: string[];

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ type: 'text', nullable: true })
  secret!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: WebhookStatus;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  /** The grant whose token registered it: its webhooks go when its tokens are purged. */
  @Column({ name: 'grant_id', type: 'uuid' })
  grantId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

export const SANDBOX_ENTITIES = [
  SandboxCodeEntity,
  SandboxTokenEntity,
  SandboxFaultEntity,
  SandboxCallEntity,
  SandboxRecordEntity,
  SandboxWebhookEntity,
];
