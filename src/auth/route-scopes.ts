import type { Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { IS_PUBLIC } from './public.decorator';
import { REQUIRED_SCOPE } from './require-scope.decorator';
import type { Scope } from './scopes';

/** What a route needs: nothing (@Public), or one scope (@RequireScope; `admin` when it says neither). */
export type Requirement = Scope | 'public';

/** The route handlers of a controller (methods with a path and an HTTP method), by name. */
export function* routeHandlers(controller: Type): Generator<[string, object]> {
  const prototype = controller.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const handler = prototype[name];
    if (name === 'constructor' || typeof handler !== 'function') continue;
    if (
      Reflect.getMetadata(PATH_METADATA, handler) !== undefined &&
      Reflect.getMetadata(METHOD_METADATA, handler) !== undefined
    )
      yield [name, handler];
  }
}

/** The route's own declaration first, then its controller's (as Reflector.getAllAndOverride). */
export function requirementOf(controller: object, handler: object): Requirement {
  const declared = (key: string): unknown => Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller);
  if (declared(IS_PUBLIC) === true) return 'public';
  return (declared(REQUIRED_SCOPE) as Scope | undefined) ?? 'admin';
}

/**
 * Route handlers of `controllers` that declare neither @RequireScope nor @Public (on the handler or its
 * controller), as `Controller.method`. The guard would give them `admin`, but the OpenAPI document would
 * call them public: the app refuses to start with any (AuthModule), so every route says what it needs.
 */
export function routesWithoutScope(controllers: Type[]): string[] {
  const found: string[] = [];
  const declared = (target: object) =>
    Reflect.getMetadata(IS_PUBLIC, target) === true || Reflect.getMetadata(REQUIRED_SCOPE, target) !== undefined;
  for (const controller of controllers) {
    if (declared(controller)) continue;
    for (const [name, handler] of routeHandlers(controller))
      if (!declared(handler)) found.push(`${controller.name}.${name}`);
  }
  return found;
}
