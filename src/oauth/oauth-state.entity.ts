import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * passport-oauth2's state store, in Postgres so any replica can finish a flow another started.
 * The state travels through the browser; only its SHA-256 is stored. The PKCE verifier is encrypted
 * (AAD: oauth_states/<id>/code_verifier). Single use: consumed_at is set atomically on the callback.
 */
@Entity({ name: 'oauth_states' })
@Index('ix_oauth_states_expires', ['expiresAt'])
export class OAuthStateEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Index('uq_oauth_states_state_hash', { unique: true })
  @Column({ name: 'state_hash', type: 'varchar', length: 64 })
  stateHash!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ name: 'connect_session_id', type: 'uuid' })
  connectSessionId!: string;

  @Column({ name: 'code_verifier', type: 'text', nullable: true })
  codeVerifier!: string | null;

  /**
   * SHA-256 of a nonce kept in an HttpOnly cookie of the browser that started the flow: the callback
   * must come from that browser (RFC 6749 10.12), so a captured authorize URL cannot be finished by
   * someone else's browser into the attacker's connect session.
   */
  @Column({ name: 'browser_binding', type: 'varchar', length: 64, nullable: true })
  browserBinding!: string | null;

  @Column({ name: 'redirect_uri', type: 'text' })
  redirectUri!: string;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', precision: 3, nullable: true })
  consumedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
