import { parse as parseQueryString } from 'fast-querystring';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ErrorCode } from '../common/errors';
import type { HeaderSet } from './security-headers';

/** A query string with more parameters than this is refused with 400 validation_failed. */
export const QUERY_MAX_PARAMETERS = 256;

/**
 * What the query parser returns for a query string over QUERY_MAX_PARAMETERS: the router's parser
 * cannot answer the request itself, so the first onRequest hook refuses a request whose query is this
 * (an identity comparison per request).
 */
export const TOO_MANY_PARAMETERS: Readonly<Record<string, never>> = Object.freeze(Object.create(null) as never);

/**
 * The router's query parser (Fastify's own, fast-querystring, which is linear in the input), bounded in
 * the number of parameters it returns: a parameter list is walked by validation and transformation
 * later, and nothing in the API takes more than a handful.
 */
export function parseBoundedQuery(query: string): Record<string, string | string[]> {
  if (query.length === 0) return {};
  let parameters = 1;
  for (let at = query.indexOf('&'); at !== -1; at = query.indexOf('&', at + 1)) {
    if (++parameters > QUERY_MAX_PARAMETERS) return TOO_MANY_PARAMETERS;
  }
  return parseQueryString(query) as Record<string, string | string[]>;
}

const REFUSALS: Record<string, { status: number; code: ErrorCode; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    message: 'The request headers are larger than this server accepts',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    message: 'The request did not arrive in time',
  },
};
const MALFORMED = { status: 400, code: 'validation_failed' as ErrorCode, message: 'The request could not be read' };

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before a request exists (headers over
 * the size limit, a malformed request line or header, a request that did not arrive within the
 * server's timeouts) is answered in the service's error shape, `{statusCode, code, message,
 * requestId}`, with the security headers every answer carries, then the connection is closed. Nothing
 * of the request is echoed or logged but the parser's error code.
 */
export function clientErrorHandler(headers: HeaderSet, logger?: Logger) {
  const fixed = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    // A connection reset: nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const refusal = REFUSALS[error.code ?? ''] ?? MALFORMED;
    const requestId = randomUUID();
    logger?.info({ requestId, clientError: error.code ?? 'unknown', statusCode: refusal.status }, 'request refused');
    // An answer already under way on this connection (a timeout while a response streams): only close it.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const body = JSON.stringify({
        statusCode: refusal.status,
        code: refusal.code,
        message: refusal.message,
        requestId,
      });
      const answer =
        `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
        'content-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        'cache-control: no-store\r\n' +
        `x-request-id: ${requestId}\r\n` +
        fixed +
        'connection: close\r\n\r\n' +
        body;
      // Closed once written, reading side included (the server's sockets allow half-open connections).
      socket.end(answer, () => socket.destroy());
    } else socket.destroy();
  };
}
