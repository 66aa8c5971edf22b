import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { appConfig } from '../config/app.config';
import { isForm } from '../http/body-parsers';
import { ConsoleSession, ConsoleSessions, SESSION_COOKIE } from './console-session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session of the request (set by ConsoleGuard). */
    consoleSession?: ConsoleSession;
  }
}

/** No valid session: the filter sends the browser to the sign-in page. */
export class ConsoleSignInRequired extends Error {}

/** A state-changing request without this session's CSRF token, or from another site. */
export class ConsoleForbidden extends Error {}

/**
 * Every console page but sign-in: a valid session cookie (ConsoleSessions), and on every request that
 * changes something (POST) an HTML form body carrying the session's CSRF token, and no foreign Origin. The API-key
 * guard lets console routes through (@Public()): the session stands in for the admin key.
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

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const session = await this.sessions.read(request.cookies[SESSION_COOKIE]);
    if (!session) throw new ConsoleSignInRequired();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== this.origin) throw new ConsoleForbidden();
      // Only the console's own HTML forms: any other body type (JSON, multipart, text) is not a console form.
      if (!isForm(request)) throw new ConsoleForbidden();
      const form = request.body as Record<string, unknown> | undefined;
      if (!this.sessions.csrfMatches(session, form?._csrf)) throw new ConsoleForbidden();
    }
    request.consoleSession = session;
    return true;
  }
}
