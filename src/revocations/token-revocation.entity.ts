import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const REVOCATION_STATUSES = ['pending', 'revoked', 'given_up'] as const;
export type RevocationStatus = (typeof REVOCATION_STATUSES)[number];
export const REVOCATION_REASONS = ['reconnect', 'delete'] as const;
/**
 * Why the tokens are queued: `reconnect`, the connection holds other tokens (a reconnect superseded
 * them, or a refresh's answer lost the compare-and-set); `delete`, the connection is gone (a DELETE
 * could not revoke them, or a refresh obtained them after the DELETE).
 */
export type RevocationReason = (typeof REVOCATION_REASONS)[number];
export const REVOCATION_ERRORS = [
  'revoke_failed',
  'revoke_unsupported',
  'provider_not_configured',
  'decryption_failed',
  'provider_error',
] as const;
/** What went wrong on the last attempt: a code of ours, never the provider's text. */
export type RevocationError = (typeof REVOCATION_ERRORS)[number];

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/**
 * Tokens waiting to be revoked at their provider, retried by the revocation worker. No foreign key to
 * connections: the connection is usually gone (DELETE) or holds other tokens (reconnect). The tokens
 * are encrypted for this row (revocationContext), and a finished row keeps no ciphertext: the CHECK
 * makes a `revoked` or `given_up` row with a token impossible.
 */
@Entity({ name: 'token_revocations' })
@Check('ck_token_revocations_status', `status IN (${list(REVOCATION_STATUSES)})`)
@Check('ck_token_revocations_reason', `reason IN (${list(REVOCATION_REASONS)})`)
@Check(
  'ck_token_revocations_ciphertext',
  `(status = 'pending' AND access_token IS NOT NULL) OR (status <> 'pending' AND access_token IS NULL AND refresh_token IS NULL)`,
)
// The worker's claim: due pending rows.
@Index('ix_token_revocations_due', ['nextAttemptAt'], { where: `status = 'pending'` })
export class TokenRevocationEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  /** The connection the tokens belonged to (it may be gone). */
  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId!: string;

  @Column({ type: 'varchar', length: 16 })
  reason!: RevocationReason;

  /** Encrypted envelope (TokenCipher, context of this row); null once the row is finished. */
  @Column({ name: 'access_token', type: 'text', nullable: true })
  accessToken!: string | null;

  @Column({ name: 'refresh_token', type: 'text', nullable: true })
  refreshToken!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', precision: 3 })
  nextAttemptAt!: Date;

  @Column({ name: 'lease_owner', type: 'varchar', length: 128, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', precision: 3, nullable: true })
  leaseUntil!: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 32, nullable: true })
  lastError!: RevocationError | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: RevocationStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
