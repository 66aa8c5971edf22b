import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors';
import { ConsoleForbidden, ConsoleSignInRequired } from './console-errors';
import { CONSOLE_PATH } from './console-session';
import { sendPage } from './console-views';

const logger = new Logger('Console');

/**
 * Errors of console routes as pages, not JSON: no session → the sign-in page; a refused form → 403;
 * a domain error → its status, code and message; anything else → 500 (logged with its stack).
 */
@Catch()
export class ConsoleExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    return sendConsoleError(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), exception);
  }
}

/** An error of a console route as the console answers it (also before the body: ConsoleGuard.beforeBody). */
export async function sendConsoleError(
  request: FastifyRequest,
  reply: FastifyReply,
  exception: unknown,
): Promise<void> {
  if (reply.sent) return;
  if (exception instanceof ConsoleSignInRequired) {
    void reply.redirect(`${CONSOLE_PATH}/sign-in`, 303);
    return;
  }
  let status = 500;
  let code = 'internal_error';
  let message = 'Something went wrong on our side. The log has the details under this request id.';
  if (exception instanceof ConsoleForbidden) {
    status = 403;
    code = 'forbidden';
    message = 'This form is out of date or did not come from the console. Reload the page and try again.';
  } else if (exception instanceof DomainError) {
    ({ status, code, message } = exception);
    void reply.headers(exception.headers);
  } else if (exception instanceof HttpException && exception.getStatus() < 500) {
    status = exception.getStatus();
    code = status === 404 ? 'route_not_found' : 'validation_failed';
    message = status === 404 ? 'No such page.' : 'The request could not be read.';
  } else {
    logger.error({ err: exception }, 'console request failed');
  }
  await sendPage(
    request,
    reply,
    'error',
    { title: `Error ${status}`, status, code, message, requestId: request.id },
    status,
  );
}
