import type { Type } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type {
  FastifyContextConfig,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
} from 'fastify';
import { requirementOf, routeHandlers } from '../auth/route-scopes';
import { sendError } from './all-exceptions.filter';

/**
 * A check that can run before the body is read (in onRequest): true to go on, false when it has
 * answered the request itself. A guard that offers one (the console's session) is also run as a guard
 * afterwards, with the body.
 */
export type BeforeBodyCheck = (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The API-key scope the route needs (undefined: a public route). Set by declareRouteRequirements. */
    scope?: string;
    /** Checks of the route's guards that run before its body is read. Set by declareRouteRequirements. */
    beforeBody?: readonly BeforeBodyCheck[];
  }
}

/**
 * Writes what each route needs into its Fastify route config, read when Nest registers the route (so
 * call this before the app is initialised): `scope`, the API-key scope (none for a public route), and
 * `beforeBody`, the checks of its guards that can run before the body is read (`checkOf` gives a
 * guard's, or undefined). http/check-before-body.ts turns them into onRequest hooks. Both are written
 * afresh each time: an app made later in the same process (tests) gets its own guards' checks.
 */
export function declareRouteRequirements(
  controllers: Type[],
  checkOf: (guard: unknown) => BeforeBodyCheck | undefined,
): void {
  for (const controller of controllers) {
    const classGuards = (Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[] | undefined) ?? [];
    for (const [, handler] of routeHandlers(controller)) {
      const requirement = requirementOf(controller, handler);
      const guards = [
        ...classGuards,
        ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? []),
      ];
      const beforeBody = guards.map(checkOf).filter((check): check is BeforeBodyCheck => check !== undefined);
      const own = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as FastifyContextConfig | undefined;
      const config: FastifyContextConfig = {
        ...own,
        scope: requirement === 'public' ? undefined : requirement,
        beforeBody: beforeBody.length ? beforeBody : undefined,
      };
      Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, config, handler);
    }
  }
}

/** Requests of these methods have no body Fastify would read. */
const BODYLESS = new Set(['GET', 'HEAD']);

/**
 * Authentication before the body, on every route that reads one: nobody without a key (or a console
 * session) may make the service read and parse a body. For such routes, an onRequest hook runs the API
 * key check of the route's scope (`check`, the guard's own check, answered in the usual error shape)
 * and the checks of its guards that offer one (`config.beforeBody`). The guard checks the key again
 * when the handler runs, with the body read: a key revoked during a slow upload is refused then.
 *
 * The hooks are added to those routes alone, as Fastify registers them: a GET (the credentials hot path
 * included) passes no hook of this.
 */
export function registerCheckBeforeBody(
  fastify: FastifyInstance,
  check: (request: FastifyRequest, scope: string) => true | Promise<unknown>,
): void {
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((method) => BODYLESS.has(method.toUpperCase()))) return;
    const hooks: onRequestHookHandler[] = [];
    const scope = route.config?.scope;
    if (scope) hooks.push(keyHook(check, scope));
    for (const guard of route.config?.beforeBody ?? []) hooks.push(guardHook(guard));
    if (!hooks.length) return;
    const own = route.onRequest;
    route.onRequest = own === undefined ? hooks : [...(Array.isArray(own) ? own : [own]), ...hooks];
  });
}

/**
 * A request refused before its body was read: its connection is closed after the answer, so the rest
 * of the body is never read (Node would otherwise read it to the end to reuse the connection, and a
 * body still trickling in would then get a second, unasked-for answer when its timeout fires).
 */
export function closeAfterAnswer(request: FastifyRequest, reply: FastifyReply): void {
  const headers = request.headers;
  if (headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0')
    reply.header('connection', 'close');
}

/** The key check as a callback hook: synchronous for a key the cache knows, no promise on that path. */
function keyHook(
  check: (request: FastifyRequest, scope: string) => true | Promise<unknown>,
  scope: string,
): onRequestHookHandler {
  return (request, reply, done) => {
    let result: true | Promise<unknown>;
    const refuse = (error: unknown) => {
      closeAfterAnswer(request, reply);
      sendError(reply, error, request.id);
    };
    try {
      result = check(request, scope);
    } catch (error) {
      return refuse(error);
    }
    if (result === true) return done();
    result.then(() => done(), refuse);
  };
}

function guardHook(guard: BeforeBodyCheck): onRequestHookHandler {
  return (request, reply, done) => {
    // Set first: a guard that refuses answers the request itself.
    closeAfterAnswer(request, reply);
    guard(request, reply).then(
      (goOn) => {
        if (!goOn) return;
        reply.removeHeader('connection');
        done();
      },
      (error: unknown) => sendError(reply, error, request.id),
    );
  };
}
