import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { appConfig } from '../config/app.config';
import { isForm } from '../http/body-parsers';
import { ConsoleForbidden, ConsoleSignInRequired } from './console-errors';
import { sendConsoleError } from './console.filter';
import { ConsoleSession, ConsoleSessions, SESSION_COOKIE } from './console-session';

export { ConsoleForbidden, ConsoleSignInRequired } from './console-errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session of the request (set by ConsoleGuard). */
    consoleSession?: ConsoleSession;
  }
}

/**
 * Every console page but sign-in: a valid session cookie (ConsoleSessions), and on every request that
 * changes something (POST) an HTML form body carrying the session's CSRF token, and no foreign Origin. The API-key
 * guard lets console routes through (@Public()): the session stands in for the admin key.
 *
 * On a POST, `beforeBody` runs first, before the form is read (http/check-before-body.ts): the session,
 * the Origin and the body's type, so nobody without a session makes the service parse a form. The guard
 * itself then reads the session again and checks the form's CSRF token.
 */
@Injectable()
export class ConsoleGuard implements CanActivate {
  private readonly origin: string;

  constructor(
    private readonly sessions: ConsoleSessions,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
  ) {
    this.origin = new URL(app.publicUrl).origin;
  }

  /** The checks that need no body, answered as the console answers them (a redirect to sign-in, a 403 page). */
  async beforeBody(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    try {
      await this.headerChecks(request);
      return true;
    } catch (error) {
      await sendConsoleError(request, reply, error);
      return false;
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const session = await this.headerChecks(request);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const form = request.body as Record<string, unknown> | undefined;
      if (!this.sessions.csrfMatches(session, form?._csrf)) throw new ConsoleForbidden();
    }
    request.consoleSession = session;
    return true;
  }

  /** A valid session; on a request that changes something, no foreign Origin and an HTML form's type. */
  private async headerChecks(request: FastifyRequest): Promise<ConsoleSession> {
    const session = await this.sessions.read(request.cookies[SESSION_COOKIE]);
    if (!session) throw new ConsoleSignInRequired();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== this.origin) throw new ConsoleForbidden();
      // Only the console's own HTML forms: any other body type (JSON, multipart, text) is not a console form.
      if (!isForm(request)) throw new ConsoleForbidden();
    }
    return session;
  }
}
