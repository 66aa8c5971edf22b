import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Unauthorized } from '../common/errors';
import { securityConfig } from '../config/security.config';
import { IS_PUBLIC } from './public.decorator';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * `Authorization: Bearer <key>` against API_KEYS. Keys are compared as SHA-256 digests with
 * timingSafeEqual, and every configured key is checked, so neither the length nor the position of a
 * match leaks through timing.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keyDigests: Buffer[];

  constructor(
    private readonly reflector: Reflector,
    @Inject(securityConfig.KEY) security: ConfigType<typeof securityConfig>,
  ) {
    this.keyDigests = security.apiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new Unauthorized();
    const presented = digest(match[1]);
    let ok = false;
    for (const key of this.keyDigests) ok = timingSafeEqual(presented, key) || ok;
    if (!ok) throw new Unauthorized();
    return true;
  }
}
