import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Public } from '../../auth/public.decorator';
import { ConnectionNotFound, DomainError } from '../../common/errors';
import { Connection } from '../../connections/connection.dto';
import { UuidParam } from '../../common/validation';
import { appConfig } from '../../config/app.config';
import { ConnectSessionsService } from '../../connect-sessions/connect-sessions.service';
import { ConnectionsService } from '../../connections/connections.service';
import { ProviderCatalog } from '../../providers/core/provider-catalog';
import { ProxyService } from '../../proxy/proxy.service';
import { internalOrigin } from '../sandbox/simulators/wire';
import { readAnswer } from './api-answer';
import { DevEvents } from './dev-events';
import { BROWSER_PACKAGE_ROUTE, browserPackageFile } from './dev-script';
import { ApiCallResult, DevPageModel, renderDevPage } from './dev-page';
import { sampleCallFor } from './sample-calls';

export const DEMO_OWNER = 'demo-user';

/** Sent with the page's sample calls (ClickFunnels blocks API calls without a User-Agent). */
const USER_AGENT = 'oauth-connections-dev-page';

/**
 * Development only (mounted with the sandbox, which production refuses): a page to try the flows, a
 * server route that creates connect sessions for a demo owner so no API key reaches the browser (the
 * page opens them in a popup with the browser package it serves at /dev/connect.js), one
 * that makes a sample API call for one of the demo owner's connections through the proxy, and two for
 * provider events: Subscribe, and a test event from the provider's simulator.
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
    private readonly events: DevEvents,
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

  /**
   * The browser package (clients/browser/dist/index.js) the page's script imports: read on each
   * request, so a rebuild shows at once. 404 while it has not been built; the page's forms then work
   * as they do without JavaScript.
   */
  @Get(BROWSER_PACKAGE_ROUTE.slice(1))
  async browserPackage(@Res() reply: FastifyReply): Promise<void> {
    const file = browserPackageFile();
    const code = file && (await readFile(file, 'utf8').catch(() => undefined));
    reply.header('Cache-Control', 'no-cache');
    if (code === undefined) {
      void reply
        .status(404)
        .type('text/plain; charset=utf-8')
        .send('clients/browser is not built: npm run build --prefix clients/browser');
      return;
    }
    void reply.type('text/javascript; charset=utf-8').send(code);
  }

  /**
   * "Connect": a form post answers with a redirect to the flow, which comes back to the page (no
   * JavaScript); the page's script asks for JSON instead (`Accept: application/json`) and gets what a
   * product's backend hands its frontend, `{url, id, observeToken}`, for `connect()` to open in a popup.
   * That session has no return URL: the flow ends on the service's result page, which posts the outcome
   * to this page. Same Origin check either way.
   */
  @Post('dev/connect/:provider')
  async connect(
    @Param('provider') provider: string,
    @Headers('origin') origin: string | undefined,
    @Headers('accept') accept: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (this.refusedCrossSite(origin, reply)) return;
    if (accept?.includes('application/json')) {
      const { url, id, observeToken } = await this.sessions.create({ provider, ownerId: DEMO_OWNER });
      reply.header('Cache-Control', 'no-store');
      void reply.status(201).send({ url, id, observeToken });
      return;
    }
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
    const connection = await this.demoConnection(id);
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

  /**
   * "Subscribe": registers a webhook at the provider for the event the form names (the provider's
   * first when it names none), through the subscriptions API's own service; the page comes back with
   * the service's answer and the connection's subscriptions. Only the demo owner's connections.
   */
  @Post('dev/connections/:id/subscriptions')
  @RouteConfig({ formBody: true })
  @HttpCode(200)
  async subscribe(
    @Param('id', UuidParam) id: string,
    @Headers('origin') origin: string | undefined,
    @Body() body: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (this.refusedCrossSite(origin, reply)) return;
    const connection = await this.demoConnection(id);
    const field = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).event : undefined;
    if (field !== undefined && typeof field !== 'string') {
      const error = { code: 'validation_failed', message: 'event: one event name' };
      await this.render(reply, {
        highlight: id,
        action: {
          action: 'subscribe',
          connectionId: id,
          provider: connection.provider,
          label: '-',
          status: 400,
          error,
        },
      });
      return;
    }
    const action = await this.events.subscribe(connection, field || undefined);
    await this.render(reply, { highlight: id, action });
  }

  /**
   * "Send a test event": the provider's simulator posts one signed event to every webhook the
   * connection's account registered, as POST /sandbox/{provider}/webhooks/test-event does; the page
   * comes back with the deliveries and the connection's latest events (stored by then: the service
   * answers a delivery once it has stored it).
   */
  @Post('dev/connections/:id/test-event')
  @HttpCode(200)
  async testEvent(
    @Param('id', UuidParam) id: string,
    @Headers('origin') origin: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (this.refusedCrossSite(origin, reply)) return;
    const connection = await this.demoConnection(id);
    const action = await this.events.sendTestEvent(connection, internalOrigin(req));
    await this.render(reply, { highlight: id, action });
  }

  /** One of the demo owner's connections; any other is not found (404), as unknown ones. */
  private async demoConnection(id: string): Promise<Connection> {
    const connection = await this.connections.get(id);
    if (connection.ownerId !== DEMO_OWNER) throw new ConnectionNotFound(id);
    return connection;
  }

  /** Only our own page may post here (browsers send Origin on form posts). */
  private refusedCrossSite(origin: string | undefined, reply: FastifyReply): boolean {
    if (origin === undefined || origin === new URL(this.app.publicUrl).origin) return false;
    void reply.status(403).type('text/plain; charset=utf-8').send('Forbidden: cross-site request');
    return true;
  }

  private async render(
    reply: FastifyReply,
    extra: Omit<DevPageModel, 'owner' | 'providers' | 'connections' | 'events' | 'forwarding' | 'scriptNonce'>,
  ): Promise<void> {
    const { data } = await this.connections.list({ ownerId: DEMO_OWNER, limit: 100 });
    const events = await this.events.view(data);
    const scriptNonce = randomBytes(16).toString('base64');
    reply.header('Cache-Control', 'no-store');
    // Its forms POST to routes that refuse a foreign Origin, and under the service's Referrer-Policy
    // no-referrer browsers send `Origin: null` on a form POST (security-headers.ts gives `/` this
    // policy by route; the page rendered by the call route needs it too). Nothing goes to other sites.
    reply.header('Referrer-Policy', 'same-origin');
    // One script: the inline module carrying this answer's nonce, and the browser package it imports
    // (a module's imports inherit its nonce); its requests go to this origin only.
    reply.header(
      'Content-Security-Policy',
      `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; script-src 'nonce-${scriptNonce}'; connect-src 'self'`,
    );
    // The page opens the flow in a popup and watches it: same-origin would cut the popup off from it
    // (the connect pages themselves send unsafe-none); popups are all it lets keep the relationship.
    reply.header('Cross-Origin-Opener-Policy', 'same-origin-allow-popups');
    void reply.type('text/html; charset=utf-8').send(
      renderDevPage({
        scriptNonce,
        owner: DEMO_OWNER,
        providers: this.catalog
          .list()
          .map(({ settings: p }) => ({ name: p.name, displayName: p.displayName, sandbox: p.sandbox })),
        connections: data,
        events,
        forwarding: { webhookUrl: this.events.forwarding, deliveriesUrl: this.events.deliveriesUrl },
        ...extra,
      }),
    );
  }
}
