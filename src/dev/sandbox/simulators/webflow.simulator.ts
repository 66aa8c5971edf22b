import { emailOf, FIXED_DATE, hexOf, personName, shortId } from './accounts';
import {
  ApiCall,
  ApiRoute,
  bearerUnauthorized,
  IssuedTokens,
  RevokeStyle,
  SandboxAccount,
  SimulatorBase,
  TokenProblem,
  WireRules,
} from './simulator';
import { invalidGrant, json, SandboxReply } from './wire';

const workspaceIdOf = (account: SandboxAccount) => hexOf(['webflow-workspace', account.userId], 24);

/** Webflow's error body (developers.webflow.com, Data API v2 error handling). */
const webflowError = (code: string, message: string) => ({ code, message, externalReference: null, details: [] });

/**
 * Webflow, docs/providers.md#webflow: JSON or form token calls with the client credentials in the
 * body, permanent tokens without refresh, `redirect_uri` repeated at the token step whenever the
 * authorize step had one, revoke via `revoke_authorization`. API base: the Data API v2
 * (`https://api.webflow.com/v2`): the token endpoints (whoami) and the site list.
 */
export class WebflowSimulator extends SimulatorBase {
  readonly name = 'webflow';
  readonly displayName = 'Webflow';
  readonly wire: WireRules = {
    tokenBody: { json: true, form: true },
    clientAuth: ['body'],
    grantTypes: ['authorization_code'],
    grantTypeOptional: false,
    responseTypeOptional: false,
    pkce: false,
    scopeSeparator: ' ',
    accessTokenTtlSeconds: null,
    refreshTokenTtlSeconds: null,
  };

  override readonly revoke: RevokeStyle = {
    clientAuth: ['body'],
    tokenParam: 'access_token',
    answer: { did_revoke: true },
  };

  readonly api: readonly ApiRoute[] = [
    { method: 'GET', path: 'token/authorized_by', whoami: true, handle: (call) => this.authorizedBy(call) },
    { method: 'GET', path: 'token/introspect', whoami: true, handle: (call) => this.introspect(call) },
    { method: 'GET', path: 'sites', handle: (call) => this.sites(call) },
  ];

  /** Webflow ids are 24 hex characters. */
  account(seed: string): SandboxAccount {
    return { userId: hexOf(['webflow-user', seed], 24), email: emailOf(seed) };
  }

  override describeAccount(account: SandboxAccount): Array<[string, string]> {
    return [
      ['User', account.email],
      ['User id', account.userId],
      ['Workspace', workspaceIdOf(account)],
    ];
  }

  /** Once the authorize step named a redirect_uri, the token step must repeat it (omitting it is invalid_grant too). */
  override checkRedirectUri(authorized: string | null, given: string | undefined): void {
    if (authorized !== null && given !== authorized)
      throw invalidGrant('redirect_uri is missing or does not match the one of the authorization request');
  }

  tokenResponse(issued: IssuedTokens): Record<string, unknown> {
    return { access_token: issued.accessToken, token_type: 'bearer' };
  }

  override unauthorized(problem: TokenProblem): SandboxReply {
    return bearerUnauthorized(problem, webflowError('not_authorized', 'Request not authorized'));
  }

  override rateLimited(retryAfter: string): SandboxReply {
    return json(webflowError('too_many_requests', 'Too many requests'), 429, { 'Retry-After': retryAfter });
  }

  private authorizedBy({ token: { account } }: ApiCall): SandboxReply {
    const name = personName(account.email);
    return json({ id: account.userId, email: account.email, firstName: name.first, lastName: name.last });
  }

  private introspect({ token }: ApiCall): SandboxReply {
    return json({
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
          workspaceIds: [workspaceIdOf(token.account)],
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
    });
  }

  /** `GET /sites`: the one site of the authorizing user's workspace. */
  private sites({ token: { account } }: ApiCall): SandboxReply {
    const id = hexOf(['webflow-site', account.userId], 24);
    const name = personName(account.email).first;
    return json({
      sites: [
        {
          id,
          workspaceId: workspaceIdOf(account),
          createdOn: FIXED_DATE,
          displayName: `${name}'s Site`,
          shortName: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-site`,
          lastPublished: FIXED_DATE,
          lastUpdated: FIXED_DATE,
          previewUrl: `https://screenshots.sandbox.example/${id}.png`,
          timeZone: 'UTC',
          parentFolderId: null,
          customDomains: [],
        },
      ],
    });
  }
}
