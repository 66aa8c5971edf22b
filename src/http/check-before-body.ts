import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { sendError } from './all-exceptions.filter';

/**
 * Routes that take large bodies (config.scopeBeforeBody: the proxy) have their API key checked in
 * onRequest, before the body is read: the guard runs after parsing, and nobody without a key may make
 * the service buffer megabytes. `check` is the guard's own check (app.setup.ts wires it; it throws the
 * same 401/403/503 errors), answered here in the usual error shape. The hook is added to those routes
 * alone, as Fastify registers them: every other request passes no hook of this.
 */
export function registerCheckBeforeBody(
  fastify: FastifyInstance,
  check: (request: FastifyRequest, scope: string) => unknown,
): void {
  fastify.addHook('onRoute', (route) => {
    const scope = route.config?.scopeBeforeBody;
    if (!scope) return;
    const hook: onRequestAsyncHookHandler = async (request, reply) => {
      try {
        await check(request, scope);
      } catch (error) {
        sendError(reply, error, request.id);
        return reply;
      }
    };
    const own = route.onRequest;
    route.onRequest = own === undefined ? [hook] : [...(Array.isArray(own) ? own : [own]), hook];
  });
}
