import type { Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { IS_PUBLIC } from './public.decorator';
import { REQUIRED_SCOPE } from './require-scope.decorator';

/**
 * Route handlers of `controllers` that declare neither @RequireScope nor @Public (on the handler or its
 * controller), as `Controller.method`. The guard would give them `admin`, but the OpenAPI document would
 * call them public: the app refuses to start with any (AuthModule), so every route says what it needs.
 */
export function routesWithoutScope(controllers: Type[]): string[] {
  const found: string[] = [];
  for (const controller of controllers) {
    const declared = (target: object) =>
      Reflect.getMetadata(IS_PUBLIC, target) === true || Reflect.getMetadata(REQUIRED_SCOPE, target) !== undefined;
    if (declared(controller)) continue;
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const isRoute =
        Reflect.getMetadata(PATH_METADATA, handler) !== undefined &&
        Reflect.getMetadata(METHOD_METADATA, handler) !== undefined;
      if (isRoute && !declared(handler)) found.push(`${controller.name}.${name}`);
    }
  }
  return found;
}
