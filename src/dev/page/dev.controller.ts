import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../auth/public.decorator';
import { ConnectionNotFound, DomainError } from '../../common/errors';
import { UuidParam } from '../../common/validation';
import { appConfig } from '../../config/app.config';
import { ConnectSessionsService } from '../../connect-sessions/connect-sessions.service';
import { ConnectionsService } from '../../connections/connections.service';
import { ProviderCatalog } from '../../providers/core/provider-catalog';
import { ProxyService } from '../../proxy/proxy.service';
import { readAnswer } from './api-answer';
import { ApiCallResult, DevPageModel, renderDevPage } from './dev-page';
import { sampleCallFor } from './sample-calls';

export const DEMO_OWNER = 'demo-user';

/** Sent with the page's sample calls (ClickFunnels blocks API calls without a User-Agent). */
const USER_AGENT = 'oauth-connections-dev-page';

/**
 * Development only (mounted with the sandbox, which production refuses): a page to try the flows, a
 * server route that creates connect sessions for a demo owner so no API key reaches the browser, and
 * one that makes a sample API call for one of the demo owner's connections through the proxy.
 */
@ApiExcludeController()
@Public()
@Controller()
export class DevController {
  constructor(
    private readonly catalog: ProviderCatalog,
    private readonly sessions: ConnectSessionsService,
    private readonly connections: ConnectionsService,
    private readonly proxy: ProxyService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  @Get()
  async page(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : undefined);
    await this.render(reply, {
      status: text(query.status),
      error: text(query.error),
      highlight: text(query.connectionId),
    });
  }

  @Post('dev/connect/:provider')
  async connect(
    @Param('provider') provider: string,
    @Headers('origin') origin: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (this.refusedCrossSite(origin, reply)) return;
    const session = await this.sessions.create(
      { provider, ownerId: DEMO_OWNER, returnUrl: `${this.app.publicUrl}/` },
      { returnUrlIsOurs: true },
    );
    void reply.redirect(session.url, 303);
  }

  /**
   * "Call the API": one sample call of the connection's provider API (sample-calls.ts) through the
   * proxy, with the connection's token (renewed on a 401 as for any proxy call); the page comes back
   * with the provider's status and answer. Only the demo owner's connections (404 otherwise).
   */
  @Post('dev/connections/:id/call')
  @HttpCode(200)
  async call(
    @Param('id', UuidParam) id: string,
    @Headers('origin') origin: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (this.refusedCrossSite(origin, reply)) return;
    const connection = await this.connections.get(id);
    if (connection.ownerId !== DEMO_OWNER) throw new ConnectionNotFound(id);
    const sample = sampleCallFor(connection);
    if (!sample) {
      const error = { code: 'no_sample_call', message: 'The page knows no sample call for this provider' };
      await this.render(reply, {
        highlight: id,
        call: { connectionId: id, provider: connection.provider, label: '-', error },
      });
      return;
    }
    const result: ApiCallResult = { connectionId: id, provider: connection.provider, label: sample.label };
    // The caller going away ends the provider call too.
    const aborted = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) aborted.abort();
    });
    try {
      const answer = await this.proxy.forward({
        connectionId: id,
        method: sample.method,
        rest: sample.rest,
        headers: {
          accept: 'application/json',
          'user-agent': USER_AGENT,
          ...(sample.body && { 'content-type': 'application/json' }),
        },
        body: sample.body && Buffer.from(JSON.stringify(sample.body)),
        requestId: req.id,
        retries: 0,
        signal: aborted.signal,
      });
      Object.assign(result, { status: answer.status }, await readAnswer(answer));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      result.error = { code: error.code, message: error.message };
    }
    await this.render(reply, { highlight: id, call: result });
  }

  /** Only our own page may post here (browsers send Origin on form posts). */
  private refusedCrossSite(origin: string | undefined, reply: FastifyReply): boolean {
    if (origin === undefined || origin === new URL(this.app.publicUrl).origin) return false;
    void reply.status(403).type('text/plain; charset=utf-8').send('Forbidden: cross-site request');
    return true;
  }

  private async render(
    reply: FastifyReply,
    extra: Omit<DevPageModel, 'owner' | 'providers' | 'connections'>,
  ): Promise<void> {
    const { data } = await this.connections.list({ ownerId: DEMO_OWNER, limit: 100 });
    reply.header('Cache-Control', 'no-store');
    // Its forms POST to routes that refuse a foreign Origin, and under the service's Referrer-Policy
    // no-referrer browsers send `Origin: null` on a form POST (security-headers.ts gives `/` this
    // policy by route; the page rendered by the call route needs it too). Nothing goes to other sites.
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
    void reply.type('text/html; charset=utf-8').send(
      renderDevPage({
        owner: DEMO_OWNER,
        providers: this.catalog
          .list()
          .map(({ settings: p }) => ({ name: p.name, displayName: p.displayName, sandbox: p.sandbox })),
        connections: data,
        ...extra,
      }),
    );
  }
}
