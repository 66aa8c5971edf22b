import { Injectable } from '@nestjs/common';
import type { FastifyRequest as Request } from 'fastify';
import { CallContext, SandboxFaultsService } from './sandbox-faults.service';
import { SandboxGrantsService } from './sandbox-grants.service';
import { SandboxRecordsService } from './sandbox-records.service';
import { SandboxWebhooksService } from './sandbox-webhooks.service';
import { matchRoute } from './simulators/routes';
import type { ProviderSimulator } from './simulators/simulator';
import {
  bearerToken,
  bodyFormat,
  internalOrigin,
  Params,
  ReplyError,
  SandboxError,
  SandboxReply,
} from './simulators/wire';

/**
 * The simulators' APIs under `/sandbox/<provider>/api/…`: the whoami calls the provider modules make,
 * and a small slice of each provider's API for trying calls with a connection's token. Common to every
 * call: faults (`api`, and `whoami` for the whoami routes), the simulator's own request checks, the
 * Bearer token (401 in the provider's shape when unknown, expired or revoked), the call log. The
 * simulator's route answers the rest.
 */
@Injectable()
export class SandboxApiService {
  constructor(
    private readonly grants: SandboxGrantsService,
    private readonly faults: SandboxFaultsService,
    private readonly records: SandboxRecordsService,
    private readonly webhooks: SandboxWebhooksService,
  ) {}

  /** The answer to a call of `path` (relative to the API base), or null when the simulator has no such route. */
  async call(provider: ProviderSimulator, req: Request, path: string): Promise<SandboxReply | null> {
    const match = matchRoute(
      provider.api,
      req.method,
      provider.apiPrefix ? path.replace(provider.apiPrefix, '') : path,
    );
    if (!match) return null;
    const { route, params } = match;
    const whoami = typeof route.whoami === 'function' ? route.whoami(req.body) : Boolean(route.whoami);
    const context: CallContext = {
      endpoint: whoami ? 'whoami' : 'api',
      route: `${route.method} /${route.path}`,
      faults: whoami ? ['whoami', 'api'] : ['api'],
    };
    return this.faults.run(provider, context, async () => {
      provider.checkApiRequest(req);
      const raw = bearerToken(req);
      const checked = raw ? await this.grants.checkAccessToken(provider, raw) : { problem: 'missing' as const };
      if (!checked.token) throw new ReplyError(provider.unauthorized(checked.problem), 'invalid_token');
      const token = checked.token;
      const origin = internalOrigin(req);
      try {
        const reply = await route.handle({
          token,
          params,
          query: Params.of(req.query),
          body: req.body,
          format: bodyFormat(req),
          origin,
          records: this.records.for(provider),
          webhooks: this.webhooks.for(provider, token.grantId, origin),
        });
        return { reply, grantId: token.grantId };
      } catch (e) {
        throw e instanceof SandboxError ? e.forGrant(token.grantId) : e;
      }
    });
  }
}
