import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiKeyIdentity, ApiKeys } from '../auth/api-keys';
import { allows } from '../auth/scopes';
import { appConfig } from '../config/app.config';
import { securityConfig } from '../crypto/secrets.config';
import { consoleConfig } from './console.config';

/** A signed-in operator: the admin key they signed in with (its id and name, never the key). */
export interface ConsoleSession {
  key: ApiKeyIdentity;
  /** The CSRF token every form of this session carries. */
  csrf: string;
  expiresAt: number;
}

interface Payload {
  /** key id */
  k: string;
  /** expiry, ms */
  e: number;
  /** CSRF token */
  c: string;
}

export const SESSION_COOKIE = 'console_session';
export const CONSOLE_PATH = '/admin';

/**
 * Console sessions as signed cookies: `v1.<payload>.<HMAC-SHA256>` (base64url), nothing stored
 * server-side. The signing key is derived (HKDF) from the current ENCRYPTION_KEYS key, so there is no
 * secret to configure; rotating that key signs everyone out. A session is valid until it expires (8 h)
 * and only while the key it was made with is still an active admin key: revoking the key ends it.
 */
@Injectable()
export class ConsoleSessions {
  private readonly signingKey: Buffer;

  constructor(
    private readonly keys: ApiKeys,
    @Inject(securityConfig.KEY) security: ConfigType<typeof securityConfig>,
    @Inject(consoleConfig.KEY) private readonly config: ConfigType<typeof consoleConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {
    this.signingKey = Buffer.from(
      hkdfSync('sha256', security.keyring.current.key, 'oauth-connections', 'console-session-v1', 32),
    );
  }

  /** A new session for `key` (an admin key): the cookie's value and options. */
  issue(key: ApiKeyIdentity, now = Date.now()): { value: string; options: Record<string, unknown> } {
    const payload: Payload = { k: key.id, e: now + this.config.sessionTtlMs, c: randomBytes(18).toString('base64url') };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { value: `v1.${body}.${this.sign(body)}`, options: this.cookieOptions(this.config.sessionTtlMs / 1000) };
  }

  /** The options that clear the cookie (sign out). */
  clearing(): Record<string, unknown> {
    return this.cookieOptions(0);
  }

  /** The session a cookie value stands for, or undefined (forged, expired, or its key no longer admin). */
  read(value: string | undefined, now = Date.now()): ConsoleSession | undefined {
    const parts = value?.split('.');
    if (!parts || parts.length !== 3 || parts[0] !== 'v1') return undefined;
    const expected = Buffer.from(this.sign(parts[1]));
    const given = Buffer.from(parts[2]);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Payload;
    } catch {
      return undefined;
    }
    if (typeof payload.e !== 'number' || payload.e <= now || typeof payload.c !== 'string') return undefined;
    const key = this.keys.findById(payload.k);
    if (!key || !allows(key.scopes, 'admin')) return undefined;
    return { key, csrf: payload.c, expiresAt: payload.e };
  }

  /** Whether a form's CSRF token is this session's. */
  csrfMatches(session: ConsoleSession, given: unknown): boolean {
    if (typeof given !== 'string') return false;
    const a = Buffer.from(given);
    const b = Buffer.from(session.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private sign(body: string): string {
    return createHmac('sha256', this.signingKey).update(body).digest('base64url');
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
