import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { InsufficientScope, Unauthorized } from '../common/errors';
import { ApiKeyIdentity, ApiKeys } from './api-keys';
import { Requirement, requirementOf } from './route-scopes';
import { allows, Scope } from './scopes';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key the request was made with (set by ApiKeyGuard); null on public routes. */
    apiKey: ApiKeyIdentity | null;
  }
}

/**
 * The one guard of the API: every route needs a key with the scope its @RequireScope names, except
 * those marked @Public(). 401 `unauthorized` for a missing, malformed, unknown or revoked key (checked
 * before any input is validated); 403 `insufficient_scope` with `requiredScope` for a known key
 * without the scope. The key's name and id go on the request (`request.apiKey`) and on every log
 * line of the request (`keyName`, `keyId`).
 *
 * Routes that read a body had the key checked before it was read (http/check-before-body.ts); it is
 * checked again here, once the body is in: a key revoked while its upload was arriving is refused.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeys) {}

  /** Per controller and handler: metadata does not change at run time, so it is read once. */
  private readonly requirements = new WeakMap<object, WeakMap<object, Requirement>>();

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const required = this.requirement(context);
    if (required === 'public') return true;
    return authorize(this.apiKeys, context.switchToHttp().getRequest<FastifyRequest>(), required);
  }

  private requirement(context: ExecutionContext): Requirement {
    const handler = context.getHandler();
    const controller = context.getClass();
    let routes = this.requirements.get(controller);
    if (!routes) this.requirements.set(controller, (routes = new WeakMap()));
    let requirement = routes.get(handler);
    if (requirement === undefined) routes.set(handler, (requirement = requirementOf(controller, handler)));
    return requirement;
  }
}

/**
 * The key check of one request: 401 unauthorized (missing, malformed, unknown, revoked), 503 while
 * table keys cannot be trusted, 403 insufficient_scope; the key's identity goes on the request and its
 * log lines. The key itself is checked by ApiKeys.identify (as the console's sign-in checks it):
 * synchronously for a key the cache knows; a key it has not seen is looked up.
 */
export function authorize(apiKeys: ApiKeys, request: FastifyRequest, required: Scope): true | Promise<true> {
  const identity = apiKeys.identify(request.headers.authorization);
  return identity instanceof Promise
    ? identity.then((found) => admit(request, found, required))
    : admit(request, identity, required);
}

function admit(request: FastifyRequest, identity: ApiKeyIdentity | undefined, required: Scope): true {
  if (!identity) throw new Unauthorized();
  request.apiKey = identity;
  (request.log as Logger).setBindings({ keyName: identity.name, keyId: identity.id });
  if (!allows(identity.scopes, required)) throw new InsufficientScope(required);
  return true;
}
