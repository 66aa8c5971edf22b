import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorCode } from '../common/errors';
import { REQUEST_ID_HEADER } from '../common/request-id';
import { BODY_LIMIT_LABEL } from './body-parsers';

interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  requestId: string;
  [detail: string]: unknown;
}

const HTTP_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  404: 'route_not_found',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** Fixed messages where the framework's own would say less, or more than a client should read. */
const HTTP_MESSAGES: Partial<Record<number, string>> = {
  404: 'No such route',
  // Fastify refuses an oversized body before reading it (bodyLimit).
  413: `The request body is larger than the ${BODY_LIMIT_LABEL} limit`,
  415: 'The request body could not be read',
  503: 'Service unavailable: a dependency (the database) does not answer',
};

const errorLogger = new Logger('Errors');

/**
 * The one place errors become responses: `{statusCode, code, message, requestId}` everywhere, for
 * route handlers, guards and pipes, unknown routes and body-parser failures alike. Unknown errors are
 * logged with their stack and answered with a generic 500, so an exception message (which might hold
 * anything) never reaches the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendError(ctx.getResponse<FastifyReply>(), exception, ctx.getRequest<FastifyRequest>().id);
  }
}

/** Answers `exception` as an ErrorResponse (also for requests the router cannot take: http-adapter.ts). */
export function sendError(reply: FastifyReply, exception: unknown, requestId: string): void {
  const { body, headers } = errorResponse(exception, requestId);
  // A route with its own body limit (the proxy's PROXY_MAX_BODY_BYTES) says that limit.
  const ownLimit = reply.request?.routeOptions?.config?.bodyLimit;
  if (body.code === 'payload_too_large' && ownLimit)
    body.message = `The request body is larger than this route's limit of ${ownLimit()} bytes`;
  if (body.statusCode >= 500) errorLogger.error({ err: exception, code: body.code }, 'request failed');
  // Nothing more to send, or nobody to send it to (a client that went away mid-upload).
  if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) return;
  reply
    .status(body.statusCode)
    .headers(headers)
    // Set here too: a request turned away before the HTTP layer's own hook ran still gets it.
    .header(REQUEST_ID_HEADER, requestId)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(body));
}

function errorResponse(exception: unknown, requestId: string): { body: ErrorBody; headers: Record<string, string> } {
  if (exception instanceof DomainError) {
    return {
      body: {
        statusCode: exception.status,
        code: exception.code,
        message: exception.message,
        requestId,
        ...exception.details,
      },
      headers: exception.headers,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = HTTP_CODES[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
    return { body: { statusCode: status, code, message: messageOf(exception, status), requestId }, headers: {} };
  }
  // Errors of the HTTP server or Fastify that say the request was bad (a body stream that broke off,
  // not a server error); their messages are not for clients.
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      body: { statusCode: 400, code: 'validation_failed', message: 'The request could not be read', requestId },
      headers: {},
    };
  }
  return {
    body: {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      code: 'internal_error',
      message: 'Internal server error',
      requestId,
    },
    headers: {},
  };
}

function messageOf(exception: HttpException, status: number): string {
  const fixed = HTTP_MESSAGES[status];
  if (fixed) return fixed;
  if (status >= 500) return 'Internal server error';
  const response = exception.getResponse();
  if (typeof response === 'object' && response && 'message' in response) {
    const message = response.message;
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string') return message;
  }
  return exception.message;
}
