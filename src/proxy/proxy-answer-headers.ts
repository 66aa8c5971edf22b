import type { FastifyInstance, FastifyReply, onSendHookHandler } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every answer of the route (the service's own errors too) is its caller's alone: registerPrivateAnswers. */
    privateAnswers?: boolean;
  }
}

/** What a proxy answer says to caches: the caller's, never stored (by a shared cache or by the caller's own). */
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

/** A Vary value (the provider's, if any) with `Authorization` in it, each name once (case-insensitively). */
export function varyWithAuthorization(vary: number | string | string[] | undefined): string {
  // Most answers (and every error of the service's own) have none.
  if (vary === undefined || vary === '') return 'Authorization';
  const list = Array.isArray(vary) ? vary.join(',') : vary === undefined ? '' : String(vary);
  const names: string[] = [];
  const seen = new Set<string>();
  for (const name of [...list.split(','), 'Authorization'].map((n) => n.trim()).filter(Boolean)) {
    if (seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    names.push(name);
  }
  return names.join(', ');
}

/** Marks an answer private to its caller: Cache-Control replaced, Authorization added to Vary. */
export function markPrivate(reply: FastifyReply): void {
  reply.header('cache-control', PRIVATE_CACHE_CONTROL);
  reply.header('vary', varyWithAuthorization(reply.getHeader('vary')));
}

/**
 * Routes with `config.privateAnswers` (the proxy) get an onSend hook that marks every answer private:
 * the provider's (whatever Cache-Control it sent: a shared cache in front must never serve one
 * caller's provider data to another) and the service's own (errors of the key check, the path, the
 * connection). `ETag` and `Last-Modified` stay, so callers can still make conditional requests. Added to
 * those routes alone, as Fastify registers them (call before the routes are registered).
 */
export function registerPrivateAnswers(fastify: FastifyInstance): void {
  const hook: onSendHookHandler = (_request, reply, payload, done) => {
    markPrivate(reply);
    done(null, payload);
  };
  fastify.addHook('onRoute', (route) => {
    if (!route.config?.privateAnswers) return;
    const own = route.onSend;
    route.onSend = own === undefined ? [hook] : [...(Array.isArray(own) ? own : [own]), hook];
  });
}
