import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A console sign-in: the SHA-256 of the cookie's random token, the admin key it was opened with, until when. */
@Entity({ name: 'console_sessions' })
export class ConsoleSessionEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'char', length: 64, primaryKeyConstraintName: 'PK_console_sessions' })
  tokenHash!: string;

  @Column({ name: 'key_id', type: 'varchar', length: 64 })
  keyId!: string;

  @Index('ix_console_sessions_expires')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
