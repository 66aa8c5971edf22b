import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request } from 'express';
import type { ServerResponse } from 'node:http';
import { DomainError, ErrorCode } from './errors';
import { requestIdOf } from './request-id';

interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  requestId: string;
}

const HTTP_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  404: 'route_not_found',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/**
 * The one place errors become responses: `{statusCode, code, message, requestId}` everywhere.
 * Unknown errors are logged with their stack and answered with a generic 500, so an exception
 * message (which might hold anything) never reaches the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendError(ctx.getResponse<ServerResponse>(), exception, requestIdOf(ctx.getRequest<Request>()));
  }
}

const errorLogger = new Logger('Errors');

/** Answers `exception` as an ErrorResponse (also used outside Nest's pipeline, by the credentials fast path). */
export function sendError(res: ServerResponse, exception: unknown, requestId: string): void {
  const { body, headers } = errorResponse(exception, requestId);
  if (body.statusCode >= 500) errorLogger.error({ err: exception, code: body.code }, 'request failed');
  if (res.headersSent) return;
  sendJson(res, body.statusCode, body, headers);
}

/** JSON with the headers Express's res.json() sets; extra headers (Retry-After, Cache-Control) as given. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.statusCode = status;
  res.end(json);
}

function errorResponse(exception: unknown, requestId: string): { body: ErrorBody; headers: Record<string, string> } {
  if (exception instanceof DomainError) {
    return { body: { statusCode: exception.status, code: exception.code, message: exception.message, requestId }, headers: exception.headers };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = HTTP_CODES[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
    return { body: { statusCode: status, code, message: messageOf(exception, status), requestId }, headers: {} };
  }
  return {
    body: { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, code: 'internal_error', message: 'Internal server error', requestId },
    headers: {},
  };
}

function messageOf(exception: HttpException, status: number): string {
  if (status === 404) return 'No such route';
  if (status === 503) return 'Service unavailable: a dependency (the database) does not answer';
  if (status >= 500) return 'Internal server error';
  const response = exception.getResponse();
  if (typeof response === 'object' && response && 'message' in response) {
    const message = (response as { message: unknown }).message;
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string') return message;
  }
  return exception.message;
}
