import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A console sign-in: the SHA-256 of the cookie's random token, the admin key it was opened with, until when. */
@Entity({ name: 'console_sessions' })
export class ConsoleSessionEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'char', length: 64, primaryKeyConstraintName: 'PK_console_sessions' })
  tokenHash!: string;

  @Column({ name: 'key_id', type: 'varchar', length: 64 })
  keyId!: string;

  /**
   * `kid:HMAC` of the key's SHA-256 under a secret derived from encryption key `kid`: the session is the
   * key's, not its id's (a key removed from API_KEYS ends its sessions even if another key is now env-1).
   */
  @Column({ name: 'key_ref', type: 'varchar', length: 128 })
  keyRef!: string;

  /** The session's CSRF token (random; every form of the session carries it). */
  @Column({ type: 'varchar', length: 64 })
  csrf!: string;

  @Index('ix_console_sessions_expires')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
