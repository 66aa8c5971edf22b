import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
// A caller's id is honoured only if it is short and plain, so it cannot inject into logs or headers.
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's `genReqId`: a sane incoming X-Request-Id, else a new UUID (Fastify keeps it as `request.id`;
 * the request's logger and error answers carry it).
 */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
}
