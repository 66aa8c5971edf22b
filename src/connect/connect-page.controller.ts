import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { URL_MAX_LENGTH } from '../common/limits';
import { appConfig } from '../config/app.config';
import { SESSION_TOKEN_PATTERN } from '../connect-sessions/connect-session.dto';
import { ConnectSessionsService } from '../connect-sessions/connect-sessions.service';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { noStore } from '../oauth/oauth.controller';
import { errorPage, RESULT_PAGE_CSP } from '../oauth/result-page';
import { PickerChoice, pickerPage } from './picker-page';

/** What the picker passes on to the authorize link as it got it (the flow checks and may ignore them). */
const PASSED_ON = ['origin', 'return_to'] as const;

/**
 * The hosted picker: where a session of several providers sends the browser. A page, not JSON; it
 * only shows the session (the link is opened, and spent, at the provider the user picks). Documented
 * in docs/api.md and docs/connect.md, not in the API spec.
 */
@ApiExcludeController()
@Public()
@Controller('connect')
export class ConnectPageController {
  constructor(
    private readonly sessions: ConnectSessionsService,
    private readonly catalog: ProviderCatalog,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  @Get()
  async picker(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    // The page carries the session's link in its URL and links, as the authorize route does.
    noStore(reply);
    reply.header('Content-Security-Policy', RESULT_PAGE_CSP).type('text/html; charset=utf-8');
    const token = query.session;
    const found =
      typeof token === 'string' && SESSION_TOKEN_PATTERN.test(token)
        ? await this.sessions.peek(token)
        : ({ ok: false, reason: 'invalid_state' } as const);
    if (!found.ok) return void reply.status(400).send(errorPage(found.reason));
    const choices: PickerChoice[] = [];
    for (const name of found.session.providers) {
      // A provider taken out of the configuration since the session was made is not offered.
      const provider = this.catalog.find(name);
      if (!provider) continue;
      const href = new URL(`${this.app.publicUrl}/oauth/${encodeURIComponent(provider.name)}/authorize`);
      href.searchParams.set('session', token as string);
      for (const param of PASSED_ON) {
        const value = query[param];
        if (typeof value === 'string' && value.length <= URL_MAX_LENGTH) href.searchParams.set(param, value);
      }
      choices.push({ name: provider.name, displayName: provider.settings.displayName, href: href.toString() });
    }
    if (!choices.length) return void reply.status(400).send(errorPage('invalid_state'));
    void reply.status(200).send(pickerPage(choices));
  }
}
