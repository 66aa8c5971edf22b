import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Unauthorized } from '../common/errors';
import { ApiKeys } from './api-keys';
import { IS_PUBLIC } from './public.decorator';

/** Every route needs one of the API_KEYS, except those marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeys,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    if (!this.apiKeys.accepts(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization)) throw new Unauthorized();
    return true;
  }
}
