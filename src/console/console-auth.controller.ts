import { Controller, Get, Inject, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeys } from '../auth/api-keys';
import { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import { Public } from '../auth/public.decorator';
import { allows } from '../auth/scopes';
import { ConsoleExceptionFilter } from './console.filter';
import { ConsoleForbidden, ConsoleGuard } from './console.guard';
import { CONSOLE_PATH, ConsoleSessions, SESSION_COOKIE } from './console-session';
import { sendPage } from './console-views';

const FORM = { formBody: true } as const;

/** Sign in with an admin API key (exchanged for a session cookie), sign out. */
@ApiExcludeController()
@Public()
@UseFilters(ConsoleExceptionFilter)
@Controller('admin')
export class ConsoleAuthController {
  private readonly origin: string;

  constructor(
    private readonly keys: ApiKeys,
    private readonly sessions: ConsoleSessions,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
  ) {
    this.origin = new URL(app.publicUrl).origin;
  }

  @Get('sign-in')
  async signInPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const current = await this.sessions.read(request.cookies[SESSION_COOKIE]).catch(() => undefined);
    if (current) return void reply.redirect(CONSOLE_PATH, 303);
    await sendPage(request, reply, 'sign-in', { title: 'Sign in' });
  }

  /**
   * The key is checked as an API request's is, by the same code (ApiKeys.identify: in memory, or
   * looked up once if this replica has not seen it, and 503 rather than "wrong key" when that cannot be
   * done or table keys cannot be trusted right now): anything but an active key with the admin scope
   * gets the same answer, so the page says nothing about whether a key exists. Rate-limited per client
   * (ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE).
   */
  @Post('sign-in')
  @RouteConfig(FORM)
  async signIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // Another site's form may not sign this browser in (login CSRF).
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== this.origin) throw new ConsoleForbidden();
    const key = (request.body as Record<string, unknown> | undefined)?.key;
    const identity =
      typeof key === 'string' && key.length <= 512 ? await this.keys.identify(`Bearer ${key.trim()}`) : undefined;
    if (!identity || !allows(identity.scopes, 'admin'))
      return sendPage(request, reply, 'sign-in', { title: 'Sign in', refused: true }, 401);
    // A browser that signs in again leaves no session of its own behind.
    await this.sessions.end(request.cookies[SESSION_COOKIE]);
    const session = await this.sessions.issue(identity);
    void reply.setCookie(SESSION_COOKIE, session.value, session.options).redirect(CONSOLE_PATH, 303);
  }

  @Post('sign-out')
  @RouteConfig(FORM)
  @UseGuards(ConsoleGuard)
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.sessions.end(request.cookies[SESSION_COOKIE]);
    void reply.clearCookie(SESSION_COOKIE, this.sessions.clearing()).redirect(`${CONSOLE_PATH}/sign-in`, 303);
  }
}
