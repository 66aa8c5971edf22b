import { FastifyAdapter } from '@nestjs/platform-fastify';
import { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { logRequest, requestBinding, requestLogger } from '../common/logging';
import { requestIdFor } from '../common/request-id';
import { sendError } from './all-exceptions.filter';
import { BODY_LIMIT_BYTES, registerBodyParsers } from './body-parsers';
import { closeAfterAnswer } from './check-before-body';
import { clientErrorHandler, parseBoundedQuery, QUERY_MAX_PARAMETERS, TOO_MANY_PARAMETERS } from './client-errors';
import { DomainError } from '../common/errors';
import { loadAppConfig } from '../config/app.config';
import { registerRateLimits } from './rate-limit';
import { registerSecurityHeaders, securityHeaders } from './security-headers';
import { registerTrustProxyWarning } from './trust-proxy-warning';

/** What the HTTP layer reads from the app config (loadAppConfig). */
export type HttpSettings = Pick<
  ReturnType<typeof loadAppConfig>,
  | 'publicUrl'
  | 'trustProxy'
  | 'oauthRateLimitPerMinute'
  | 'signInRateLimitPerMinute'
  | 'eventsRateLimitPerMinute'
  | 'requestTimeoutMs'
  | 'headersTimeoutMs'
  | 'keepAliveTimeoutMs'
>;

/**
 * The HTTP layer: Nest on Fastify. Routing keeps what clients saw on Express (trailing slash and case
 * of the path ignored); every request gets an id (request-id.ts) echoed as X-Request-Id on every
 * answer, errors and unknown routes included; the body parsers are in body-parsers.ts.
 *
 * With `logger` (the app's root pino logger), Fastify's own request logging is used: each request
 * gets a child logger bound to its id, method and path (`request.log`), the logger of everything logged
 * while serving it (`requestLogger`), and one line when its response is finished (RequestLog).
 *
 * Hardening (security-headers.ts, rate-limit.ts): security headers on every answer, and a per-client
 * limit on /oauth/*. `trustProxy` (TRUST_PROXY) decides whose address `request.ip` is: the socket's,
 * unless the proxies in front are named.
 *
 * Hostile traffic (docs/security.md "Limits and timeouts"): the server's timeouts cut a request whose
 * headers or body trickle in; what Node's parser refuses before a request exists (431, 408, a malformed
 * request line) is answered in the error shape (client-errors.ts); query strings are bounded
 * (QUERY_MAX_PARAMETERS), bodies by the parsers (body-parsers.ts).
 */
export function createHttpAdapter(logger?: Logger, settings: HttpSettings = loadAppConfig()): FastifyAdapter {
  const headersFor = securityHeaders(settings.publicUrl);
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: settings.trustProxy,
    requestIdHeader: false,
    genReqId: requestIdFor,
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false, querystringParser: parseBoundedQuery },
    requestTimeout: settings.requestTimeoutMs,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    // Node checks the request and headers timeouts of open connections on this interval (default 30 s,
    // which would let a trickling request run half a minute past its timeout).
    http: { headersTimeout: settings.headersTimeoutMs, connectionsCheckingInterval: 1_000 },
    clientErrorHandler: clientErrorHandler(headersFor(undefined), logger),
    // A URL the router cannot even decode (bad percent-encoding, an over-long path parameter) never
    // reaches Nest: answered here in the same error shape, without echoing the URL (its query may hold
    // an OAuth code). Fastify's own answer quotes the URL.
    // It passes no hook either: the security headers are set here.
    frameworkErrors: (_error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      reply.headers(headersFor(undefined));
      sendError(reply, new DomainError('validation_failed', 400, 'The request URL is not valid'), request.id);
    },
    ...(logger && {
      loggerInstance: logger,
      logController: new RequestLog(),
      // A child of our root logger itself (not of Fastify's wrapper, whose serializers would rewrite `req`).
      childLoggerFactory: (
        _fastifyLogger: unknown,
        bindings: { reqId?: unknown },
        _options: unknown,
        req: IncomingMessage,
      ) => logger.child(requestBinding(String(bindings.reqId), req)),
    }),
  });
  const fastify = adapter.getInstance();
  // First, so that requests answered by the hooks below count too.
  registerTrustProxyWarning(fastify, settings.trustProxy, logger);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    // An unknown route is answered here, before its body would be read and parsed for nothing.
    const refusal = request.is404
      ? new DomainError('route_not_found', 404, 'No such route')
      : request.query === TOO_MANY_PARAMETERS
        ? new DomainError('validation_failed', 400, `The query string has more than ${QUERY_MAX_PARAMETERS} parameters`)
        : undefined;
    if (refusal) {
      reply.headers(headersFor(undefined));
      closeAfterAnswer(request, reply);
      return sendError(reply, refusal, request.id);
    }
    // The rest of the request's handling (hooks, body parsing, the route, its answer) runs inside.
    if (logger) requestLogger.run(request.log as Logger, done);
    else done();
  });
  // Headers first: the rate limit's 429 (and every other early answer) carries them.
  registerSecurityHeaders(fastify, headersFor);
  registerRateLimits(fastify, {
    oauthPerMinute: settings.oauthRateLimitPerMinute,
    signInPerMinute: settings.signInRateLimitPerMinute,
    eventsPerMinute: settings.eventsRateLimitPerMinute,
  });
  registerBodyParsers(fastify, BODY_LIMIT_BYTES);
  return adapter;
}

/** Fastify's request lines in this service's shape: none when a request comes in, one when it is answered. */
class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    logRequest(request.log as Logger, request.url, reply.statusCode, reply.elapsedTime);
  }
}
