import { FastifyAdapter } from '@nestjs/platform-fastify';
import { requestIdFor } from '../common/request-id';
import { registerBodyParsers } from './body-parsers';

/** Request bodies larger than this are refused with 413 payload_too_large (before they are read). */
export const BODY_LIMIT_BYTES = 100 * 1024;
export const BODY_LIMIT_LABEL = '100 kB';

/**
 * The HTTP layer: Nest on Fastify. Routing keeps what clients saw on Express (trailing slash and case
 * of the path ignored); every request gets an id (request-id.ts) echoed as X-Request-Id on every
 * answer, errors and unknown routes included; the body parsers are in body-parsers.ts.
 */
export function createHttpAdapter(): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    requestIdHeader: false,
    genReqId: requestIdFor,
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false },
  });
  const fastify = adapter.getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  registerBodyParsers(fastify, BODY_LIMIT_BYTES);
  return adapter;
}
