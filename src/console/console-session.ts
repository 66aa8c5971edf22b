import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { LessThan, Repository } from 'typeorm';
import { ApiKeyIdentity, ApiKeys } from '../auth/api-keys';
import { allows } from '../auth/scopes';
import { appConfig } from '../config/app.config';
import { hashSecret } from '../crypto/secret-hash';
import { securityConfig } from '../crypto/secrets.config';
import { consoleConfig } from './console.config';
import { ConsoleSessionEntity } from './console-session.entity';

/** A signed-in operator: the admin key they signed in with (its id and name, never the key). */
export interface ConsoleSession {
  key: ApiKeyIdentity;
  /** The CSRF token every form of this session carries. */
  csrf: string;
  expiresAt: Date;
}

export const SESSION_COOKIE = 'console_session';
export const CONSOLE_PATH = '/admin';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Console sessions: the cookie holds a random token (32 bytes); `console_sessions` holds its SHA-256,
 * the admin key it was opened with and its expiry (8 h). Signing out deletes the row, so a copied
 * cookie is worthless afterwards; revoking the key ends its sessions too (checked on every request).
 * The CSRF token of a session is an HMAC of its token, under a key derived (HKDF) from the current
 * ENCRYPTION_KEYS key. The table's only owner.
 */
@Injectable()
export class ConsoleSessions {
  private readonly csrfKey: Buffer;

  constructor(
    private readonly keys: ApiKeys,
    @InjectRepository(ConsoleSessionEntity) private readonly repo: Repository<ConsoleSessionEntity>,
    @Inject(securityConfig.KEY) security: ConfigType<typeof securityConfig>,
    @Inject(consoleConfig.KEY) private readonly config: ConfigType<typeof consoleConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {
    this.csrfKey = Buffer.from(
      hkdfSync('sha256', security.keyring.current.key, 'oauth-connections', 'console-csrf-v1', 32),
    );
  }

  /** A new session for `key` (an admin key): the cookie's value and options. Expired sessions are deleted. */
  async issue(key: ApiKeyIdentity, now = new Date()): Promise<{ value: string; options: Record<string, unknown> }> {
    const token = randomBytes(32).toString('base64url');
    await this.repo.delete({ expiresAt: LessThan(now) });
    await this.repo.insert({
      tokenHash: hashSecret(token),
      keyId: key.id,
      expiresAt: new Date(now.getTime() + this.config.sessionTtlMs),
    });
    return { value: token, options: this.cookieOptions(this.config.sessionTtlMs / 1000) };
  }

  /** Ends the session of a cookie value (sign out). */
  async end(value: string | undefined): Promise<void> {
    if (value && TOKEN.test(value)) await this.repo.delete({ tokenHash: hashSecret(value) });
  }

  /** The options that clear the cookie. */
  clearing(): Record<string, unknown> {
    return this.cookieOptions(0);
  }

  /** The session of a cookie value, or undefined (unknown, signed out, expired, or its key no longer admin). */
  async read(value: string | undefined, now = new Date()): Promise<ConsoleSession | undefined> {
    if (!value || !TOKEN.test(value)) return undefined;
    const row = await this.repo.findOneBy({ tokenHash: hashSecret(value) });
    if (!row || row.expiresAt.getTime() <= now.getTime()) return undefined;
    const key = this.keys.findById(row.keyId);
    if (!key || !allows(key.scopes, 'admin') || (key.source === 'api' && this.keys.stale)) return undefined;
    return { key, csrf: this.csrfOf(value), expiresAt: row.expiresAt };
  }

  /** Whether a form's CSRF token is this session's. */
  csrfMatches(session: ConsoleSession, given: unknown): boolean {
    if (typeof given !== 'string') return false;
    const a = Buffer.from(given);
    const b = Buffer.from(session.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private csrfOf(token: string): string {
    return createHmac('sha256', this.csrfKey).update(token).digest('base64url');
  }

  private cookieOptions(maxAgeSeconds: number): Record<string, unknown> {
    return {
      path: CONSOLE_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: this.app.publicUrl.startsWith('https:'),
      maxAge: maxAgeSeconds,
    };
  }
}
