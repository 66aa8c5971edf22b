import { Injectable } from '@nestjs/common';
import type { FastifyRequest as Request } from 'fastify';
import { createHash } from 'node:crypto';
import { SandboxTokenEntity } from './sandbox.entities';
import { keapHost, personName, webflowWorkspaceId } from './sandbox-accounts';
import { SandboxFaultsService } from './sandbox-faults.service';
import { SandboxGrantsService } from './sandbox-grants.service';
import { bearerToken, bodyFormat, invalidToken, json, Params, SandboxError, SandboxReply } from './sandbox-http';
import { SANDBOX_PROVIDERS, SandboxProvider } from './sandbox-providers';

const shortId = (seed: string, length = 24) => createHash('sha256').update(seed).digest('hex').slice(0, length);
const FIXED_DATE = '2024-01-01T00:00:00.000Z';

/** The whoami endpoints each provider module calls to identify or verify a token. */
@Injectable()
export class SandboxApiService {
  constructor(
    private readonly grants: SandboxGrantsService,
    private readonly faults: SandboxFaultsService,
  ) {}

  keapUserinfo(req: Request): Promise<SandboxReply> {
    return this.whoami(SANDBOX_PROVIDERS.keap, req, ({ account }) => {
      const name = personName(account);
      return {
        email: account.email,
        family_name: name.last,
        given_name: name.first,
        global_user_id: Number(account.userId),
        infusionsoft_id: keapHost(account),
        middle_name: '',
        preferred_name: name.first,
      };
    });
  }

  webflowAuthorizedBy(req: Request): Promise<SandboxReply> {
    return this.whoami(SANDBOX_PROVIDERS.webflow, req, ({ account }) => {
      const name = personName(account);
      return { id: account.userId, email: account.email, firstName: name.first, lastName: name.last };
    });
  }

  webflowIntrospect(req: Request): Promise<SandboxReply> {
    return this.whoami(SANDBOX_PROVIDERS.webflow, req, (token) => ({
      authorization: {
        // A new id per grant, which is why the account id is the user id, not this one.
        id: shortId(`authorization:${token.grantId}`),
        createdOn: token.createdAt.toISOString(),
        grantType: 'authorization_code',
        lastUsed: new Date().toISOString(),
        rateLimit: 60,
        scope: token.scope,
        authorizedTo: {
          siteIds: [],
          workspaceIds: [webflowWorkspaceId(token.account)],
          userIds: [token.account.userId],
        },
      },
      application: {
        id: shortId('application:sandbox-webflow'),
        description: 'Simulated Webflow app of the OAuth connection service sandbox',
        homepage: 'https://sandbox.example',
        displayName: 'Sandbox app',
        createdOn: FIXED_DATE,
      },
    }));
  }

  clickfunnelsTeams(req: Request): Promise<SandboxReply> {
    return this.whoami(SANDBOX_PROVIDERS.clickfunnels, req, ({ account }) => [
      {
        id: account.teamId,
        public_id: shortId(`team:${account.teamId}`, 6),
        name: account.teamName,
        locale: 'en',
        time_zone: 'UTC',
        created_at: FIXED_DATE,
        updated_at: FIXED_DATE,
      },
    ]);
  }

  clickfunnelsWorkspace(req: Request, id: string): Promise<SandboxReply> {
    return this.whoami(SANDBOX_PROVIDERS.clickfunnels, req, ({ account }) => {
      if (String(account.workspaceId) !== id)
        throw new SandboxError(404, 'not_found', 'No such workspace for this token');
      return {
        id: account.workspaceId,
        public_id: shortId(`workspace:${account.workspaceId}`, 6),
        team_id: account.teamId,
        name: account.workspaceName,
        subdomain: (account.workspaceName ?? 'workspace').toLowerCase().replace(/[^a-z0-9]+/g, '-'),
        created_at: FIXED_DATE,
        updated_at: FIXED_DATE,
      };
    });
  }

  lightfunnelsGraphql(req: Request): Promise<SandboxReply> {
    return this.whoami(SANDBOX_PROVIDERS.lightfunnels, req, ({ account }) => {
      const query = bodyFormat(req) === 'json' ? Params.of(req.body).peek('query') : undefined;
      if (!query) throw new SandboxError(400, 'invalid_request', 'Expected a JSON body {query}');
      if (/\baccount\b/.test(query)) return { data: { account: { id: account.userId } } };
      return { data: null, errors: [{ message: 'The sandbox answers only the account query' }] };
    });
  }

  clickfunnelsClassicMe(req: Request): Promise<SandboxReply> {
    return this.whoami(SANDBOX_PROVIDERS['clickfunnels-classic'], req, ({ account }) => ({
      id: Number(account.userId),
      email: account.email,
    }));
  }

  private whoami(
    provider: SandboxProvider,
    req: Request,
    body: (token: SandboxTokenEntity) => unknown,
  ): Promise<SandboxReply> {
    return this.faults.run(provider, { endpoint: 'whoami', faults: ['whoami'] }, async () => {
      // ClickFunnels blocks API requests that carry no User-Agent.
      if (provider.name === 'clickfunnels' && !req.headers['user-agent']) {
        throw new SandboxError(403, 'forbidden', 'Requests without a User-Agent header are blocked');
      }
      const raw = bearerToken(req);
      const token = raw ? await this.grants.validAccessToken(provider, raw) : null;
      if (!token) throw invalidToken();
      try {
        return { reply: json(body(token)), grantId: token.grantId };
      } catch (e) {
        throw e instanceof SandboxError ? e.forGrant(token.grantId) : e;
      }
    });
  }
}
