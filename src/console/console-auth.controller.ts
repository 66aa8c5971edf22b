import { Controller, Get, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeys } from '../auth/api-keys';
import { Public } from '../auth/public.decorator';
import { allows } from '../auth/scopes';
import { ConsoleExceptionFilter } from './console.filter';
import { ConsoleGuard } from './console.guard';
import { CONSOLE_PATH, ConsoleSessions, SESSION_COOKIE } from './console-session';
import { sendPage } from './console-views';

const FORM = { formBody: true } as const;

/** Sign in with an admin API key (exchanged for a session cookie), sign out. */
@ApiExcludeController()
@Public()
@UseFilters(ConsoleExceptionFilter)
@Controller('admin')
export class ConsoleAuthController {
  constructor(
    private readonly keys: ApiKeys,
    private readonly sessions: ConsoleSessions,
  ) {}

  @Get('sign-in')
  async signInPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (await this.sessions.read(request.cookies[SESSION_COOKIE])) return void reply.redirect(CONSOLE_PATH, 303);
    await sendPage(request, reply, 'sign-in', { title: 'Sign in' });
  }

  /**
   * The key is checked like an API request's (in memory, or looked up once if this replica has not seen
   * it): anything but an active key with the admin scope gets the same answer, so the page says nothing
   * about whether a key exists. Rate-limited per client (ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE).
   */
  @Post('sign-in')
  @RouteConfig(FORM)
  async signIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const key = (request.body as Record<string, unknown> | undefined)?.key;
    const check = typeof key === 'string' && key.length <= 512 ? this.keys.check(`Bearer ${key.trim()}`) : undefined;
    const identity =
      check?.kind === 'known'
        ? check.identity
        : check?.kind === 'unseen'
          ? await this.keys.lookUp(check.secretHash).catch(() => undefined)
          : undefined;
    const usable = identity && allows(identity.scopes, 'admin') && !(identity.source === 'api' && this.keys.stale);
    if (!usable) return sendPage(request, reply, 'sign-in', { title: 'Sign in', refused: true }, 401);
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
