import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import { securityConfig } from '../crypto/secrets.config';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/**
 * `Authorization: Bearer <key>` against API_KEYS. Keys are compared as SHA-256 digests with
 * timingSafeEqual, and every configured key is checked, so neither the length nor the position of a
 * match leaks through timing. Used by ApiKeyGuard.
 */
@Injectable()
export class ApiKeys {
  private readonly keyDigests: Buffer[];

  constructor(@Inject(securityConfig.KEY) security: ConfigType<typeof securityConfig>) {
    this.keyDigests = security.apiKeys.map(digest);
  }

  accepts(authorization: string | string[] | undefined): boolean {
    const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
    if (!match) return false;
    const presented = digest(match[1]);
    let ok = false;
    for (const key of this.keyDigests) ok = timingSafeEqual(presented, key) || ok;
    return ok;
  }
}
