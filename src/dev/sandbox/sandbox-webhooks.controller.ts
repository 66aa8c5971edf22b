import { Controller, Get, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { Public } from '../../auth/public.decorator';
import { send } from './sandbox-http';
import { SandboxProviderPipe } from './sandbox-provider.pipe';
import { SandboxWebhooksService } from './sandbox-webhooks.service';
import type { ProviderSimulator, SimulatedWebhooks } from './simulators/simulator';
import { internalOrigin, invalidRequest, json, jsonObject, Params, SandboxError, bodyFormat } from './simulators/wire';

/**
 * The simulators' webhooks, for the development page and tests: what was registered through each
 * provider's API (never a secret), and a test event sent now to every registered URL of an account,
 * signed as the provider signs. A provider without webhooks (ClickFunnels Classic) has no such routes.
 */
@Public()
@ApiExcludeController()
@Controller('sandbox')
export class SandboxWebhooksController {
  constructor(private readonly webhooks: SandboxWebhooksService) {}

  /** `GET /sandbox/{provider}/webhooks?accountId=`: `{data: [{id, account, events, url, name, status, data, createdAt}]}`. */
  @Get(':provider/webhooks')
  async list(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    styleOf(provider);
    try {
      const accountId = Params.of(req.query).get('accountId');
      const hooks = await this.webhooks.list(provider, accountId);
      send(res, json({ data: hooks.map(({ secret: _secret, ...hook }) => hook) }));
    } catch (e) {
      if (e instanceof SandboxError) return send(res, e.toReply());
      throw e;
    }
  }

  /**
   * `POST /sandbox/{provider}/webhooks/test-event {accountId, type?, uninstall?}`: one event to every
   * webhook of the account registered for it (no type: each webhook its own first event; `uninstall`:
   * the provider's uninstall event). 200 `{event, deliveries: [{webhookId, url, event, status, delivered}]}`.
   */
  @Post(':provider/webhooks/test-event')
  async testEvent(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const style = styleOf(provider);
    try {
      const body = jsonObject(bodyFormat(req), req.body) ?? {};
      const { accountId, type, uninstall } = body;
      if (typeof accountId !== 'string' || accountId === '') throw invalidRequest('accountId is required');
      if (type !== undefined && (typeof type !== 'string' || !style.events.includes(type)))
        throw invalidRequest(`type must be one of: ${style.events.join(', ')}`);
      if (uninstall !== undefined && typeof uninstall !== 'boolean')
        throw invalidRequest('uninstall must be a boolean');
      if (uninstall && !style.uninstallEvent) throw invalidRequest(`${provider.displayName} has no uninstall event`);
      const event = uninstall ? style.uninstallEvent : type;
      const deliveries = await this.webhooks.sendEvent(provider, { accountId, type: event }, internalOrigin(req));
      send(res, json({ event: event ?? null, deliveries }));
    } catch (e) {
      if (e instanceof SandboxError) return send(res, e.toReply());
      throw e;
    }
  }
}

function styleOf(provider: ProviderSimulator): SimulatedWebhooks {
  if (!provider.webhooks) throw new NotFoundException();
  return provider.webhooks;
}
