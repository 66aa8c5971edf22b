import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/** What the warning is logged with: the app's pino logger (pino's argument order). */
export interface WarningLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Without the app's logger (unit tests, the OpenAPI script): Nest's, without the fields. */
const nestLog: WarningLog = { warn: (_fields, message) => new Logger('HTTP').warn(message) };

export const TRUST_PROXY_WARNING =
  'A request arrived with X-Forwarded-For while TRUST_PROXY is off: if a proxy or load balancer sends it, ' +
  "every client behind it has the proxy's address, so they share one rate-limit bucket per route and the " +
  "logs show the proxy. Set TRUST_PROXY to the proxies' hop count or addresses (docs/http-layer.md); " +
  'if no proxy is in front, a client sent the header itself and it is ignored. Logged once.';

/**
 * With TRUST_PROXY off, `request.ip` is the socket's address, which behind a proxy is the proxy's for
 * every client: the per-client rate limits (rate-limit.ts) then count all clients together. Nothing in
 * the request can tell a proxy from a client that sends the header itself, so this only warns, once per
 * server (one per process), on the first request carrying X-Forwarded-For. The header's value is never
 * logged (it names clients' addresses, and a client may put anything in it); the socket's address is,
 * as the proxy to trust. Registered first among the onRequest hooks, so requests answered early (404,
 * 429) count too. With TRUST_PROXY set nothing is registered.
 */
export function registerTrustProxyWarning(
  fastify: FastifyInstance,
  trustProxy: false | number | string[],
  log: WarningLog = nestLog,
): void {
  if (trustProxy !== false) return;
  let warned = false;
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!warned && request.headers['x-forwarded-for'] !== undefined) {
      warned = true;
      log.warn({ remoteAddress: request.socket.remoteAddress }, TRUST_PROXY_WARNING);
    }
    done();
  });
}
