import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { LessThan, Repository } from 'typeorm';
import { ApiKeyIdentity, ApiKeys, ApiKeysUnavailable } from '../auth/api-keys';
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
 * the admin key it was opened with, a random CSRF token and its expiry (8 h). Signing out deletes the
 * row, so a copied cookie is worthless afterwards. A session belongs to the key itself: the row keeps
 * an HMAC of the key's SHA-256 (under a secret derived from an encryption key, named by its kid, so a
 * key rotation rolling across replicas keeps sessions valid), and a session whose key was revoked,
 * lost its admin scope or left API_KEYS (another key may be env-1 now) is over. The table's only owner.
 */
@Injectable()
export class ConsoleSessions {
  constructor(
    private readonly keys: ApiKeys,
    @InjectRepository(ConsoleSessionEntity) private readonly repo: Repository<ConsoleSessionEntity>,
    @Inject(securityConfig.KEY) private readonly security: ConfigType<typeof securityConfig>,
    @Inject(consoleConfig.KEY) private readonly config: ConfigType<typeof consoleConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** A new session for `key` (an admin key): the cookie's value and options. Expired sessions are deleted. */
  async issue(key: ApiKeyIdentity, now = new Date()): Promise<{ value: string; options: Record<string, unknown> }> {
    const secretHash = this.keys.hashOf(key);
    if (!secretHash) throw new ApiKeysUnavailable();
    const token = randomBytes(32).toString('base64url');
    const kid = this.security.keyring.current.kid;
    await this.repo.delete({ expiresAt: LessThan(now) });
    await this.repo.insert({
      tokenHash: hashSecret(token),
      keyId: key.id,
      keyRef: `${kid}:${this.keyRef(kid, secretHash)}`,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: new Date(now.getTime() + this.config.sessionTtlMs),
    });
    return { value: token, options: this.cookieOptions(this.config.sessionTtlMs / 1000) };
  }

  /** Ends the session of a cookie value (sign out, or a new sign-in from the same browser). */
  async end(value: string | undefined): Promise<void> {
    if (value && TOKEN.test(value)) await this.repo.delete({ tokenHash: hashSecret(value) });
  }

  /** The options that clear the cookie. */
  clearing(): Record<string, unknown> {
    return this.cookieOptions(0);
  }

  /**
   * The session of a cookie value, or undefined (unknown, signed out, expired, or its key gone or no
   * longer admin). ApiKeysUnavailable when table keys cannot be checked right now (the API's 503).
   */
  async read(value: string | undefined, now = new Date()): Promise<ConsoleSession | undefined> {
    if (!value || !TOKEN.test(value)) return undefined;
    const row = await this.repo.findOneBy({ tokenHash: hashSecret(value) });
    if (!row || row.expiresAt.getTime() <= now.getTime()) return undefined;
    const found = this.keys.findById(row.keyId);
    if (!found || !allows(found.identity.scopes, 'admin')) return undefined;
    const [kid, ref] = row.keyRef.split(':');
    const expected = this.security.keyring.byKid.has(kid) ? this.keyRef(kid, found.secretHash) : undefined;
    if (!expected || !sameText(expected, ref)) return undefined;
    if (found.identity.source === 'api' && this.keys.stale) throw new ApiKeysUnavailable();
    return { key: found.identity, csrf: row.csrf, expiresAt: row.expiresAt };
  }

  /** Whether a form's CSRF token is this session's. */
  csrfMatches(session: ConsoleSession, given: unknown): boolean {
    return typeof given === 'string' && sameText(given, session.csrf);
  }

  private keyRef(kid: string, secretHash: string): string {
    const secret = hkdfSync('sha256', this.security.keyring.byKid.get(kid)!, 'oauth-connections', 'console-key-v1', 32);
    return createHmac('sha256', Buffer.from(secret)).update(secretHash).digest('base64url');
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

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
