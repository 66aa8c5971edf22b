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

  /** @Public() per controller and handler: metadata does not change at run time, so it is read once. */
  private readonly publicRoutes = new WeakMap<object, WeakMap<object, boolean>>();

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const controller = context.getClass();
    let routes = this.publicRoutes.get(controller);
    if (!routes) this.publicRoutes.set(controller, (routes = new WeakMap()));
    let isPublic = routes.get(handler);
    if (isPublic === undefined) {
      isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, controller]) === true;
      routes.set(handler, isPublic);
    }
    if (isPublic) return true;
    if (!this.apiKeys.accepts(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization))
      throw new Unauthorized();
    return true;
  }
}
