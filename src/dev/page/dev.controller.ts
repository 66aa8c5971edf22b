import { Controller, Get, Headers, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../auth/public.decorator';
import { appConfig } from '../../config/app.config';
import { ConnectSessionsService } from '../../connect-sessions/connect-sessions.service';
import { ConnectionsService } from '../../connections/connections.service';
import { ProviderCatalog } from '../../providers/core/provider-catalog';
import { renderDevPage } from './dev-page';

export const DEMO_OWNER = 'demo-user';

/**
 * Development only (mounted with the sandbox, which production refuses): a page to try the flows, and a server
 * route that creates connect sessions for a demo owner so no API key reaches the browser.
 */
@ApiExcludeController()
@Public()
@Controller()
export class DevController {
  constructor(
    private readonly catalog: ProviderCatalog,
    private readonly sessions: ConnectSessionsService,
    private readonly connections: ConnectionsService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  @Get()
  async page(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : undefined);
    const { data } = await this.connections.list({ ownerId: DEMO_OWNER, limit: 100 });
    reply.header('Cache-Control', 'no-store');
    reply.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
    void reply.type('text/html; charset=utf-8').send(
      renderDevPage({
        owner: DEMO_OWNER,
        providers: this.catalog
          .list()
          .map(({ settings: p }) => ({ name: p.name, displayName: p.displayName, sandbox: p.sandbox })),
        connections: data,
        status: text(query.status),
        error: text(query.error),
        highlight: text(query.connectionId),
      }),
    );
  }

  @Post('dev/connect/:provider')
  async connect(
    @Param('provider') provider: string,
    @Headers('origin') origin: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // Only our own page may start flows (browsers send Origin on form posts).
    if (origin !== undefined && origin !== new URL(this.app.publicUrl).origin) {
      void reply.status(403).type('text/plain; charset=utf-8').send('Forbidden: cross-site request');
      return;
    }
    const session = await this.sessions.create(
      { provider, ownerId: DEMO_OWNER, returnUrl: `${this.app.publicUrl}/` },
      { returnUrlIsOurs: true },
    );
    void reply.redirect(session.url, 303);
  }
}
