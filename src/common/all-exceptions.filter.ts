import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
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
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const { body, headers } = this.toBody(exception, requestIdOf(req));
    if (body.statusCode >= 500) {
      this.logger.error({ err: exception, code: body.code }, 'request failed');
    }
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, requestId: string): { body: ErrorBody; headers: Record<string, string> } {
    if (exception instanceof DomainError) {
      return { body: { statusCode: exception.status, code: exception.code, message: exception.message, requestId }, headers: exception.headers };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = HTTP_CODES[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
      return { body: { statusCode: status, code, message: this.messageOf(exception, status), requestId }, headers: {} };
    }
    return {
      body: { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, code: 'internal_error', message: 'Internal server error', requestId },
      headers: {},
    };
  }

  private messageOf(exception: HttpException, status: number): string {
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
}
