import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Scope } from './scopes';

/**
 * An API key made through the API or `npm run api-keys:create`. Only the SHA-256 of the secret is
 * kept (the key is shown once); `prefix` is its first characters, for people to tell keys apart.
 * Revoked keys stay as a record; an active key's name is unique.
 */
@Entity({ name: 'api_keys' })
@Index('ux_api_keys_active_name', ['name'], { unique: true, where: 'revoked_at IS NULL' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'PK_api_keys' })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'text', array: true })
  scopes!: Scope[];

  /** SHA-256 of the key, hex. */
  @Index('ux_api_keys_secret_hash', { unique: true })
  @Column({ name: 'secret_hash', type: 'char', length: 64 })
  secretHash!: string;

  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Written at most once a minute per key and replica, never per request. */
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
