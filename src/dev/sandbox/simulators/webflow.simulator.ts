import { randomBytes } from 'node:crypto';
import { hmac } from '../../../crypto/hmac';
import { emailOf, FIXED_DATE, hexOf, numberOf, personName, shortId } from './accounts';
import {
  ApiCall,
  ApiRoute,
  bearerUnauthorized,
  firstEvent,
  IssuedTokens,
  registeredFor,
  RevokeStyle,
  SandboxAccount,
  SimulatedWebhooks,
  SimulatorBase,
  StoredWebhook,
  TokenProblem,
  WireRules,
} from './simulator';
import { invalidGrant, json, jsonObject, SandboxReply } from './wire';
import { WEBFLOW_EVENT_NAMES } from '../../../providers/webflow/webflow.events';

const workspaceIdOf = (account: SandboxAccount) => hexOf(['webflow-workspace', account.userId], 24);
/** The one site of the authorizing user's workspace. */
const siteIdOf = (account: SandboxAccount) => hexOf(['webflow-site', account.userId], 24);

/** Webhooks per trigger type and site (developers.webflow.com, "Create Webhook"). */
const MAX_PER_TRIGGER = 75;

/** `triggerType`s of `POST /v2/sites/{site_id}/webhooks`: the provider module's list. */
const TRIGGER_TYPES = WEBFLOW_EVENT_NAMES;

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

  /** `{api}/v2/sites` is `{api}/sites` (the real base ends with /v2). */
  override readonly apiPrefix = /^\/*v2(?:\/|$)/i;

  readonly api: readonly ApiRoute[] = [
    { method: 'GET', path: 'token/authorized_by', whoami: true, handle: (call) => this.authorizedBy(call) },
    { method: 'GET', path: 'token/introspect', whoami: true, handle: (call) => this.introspect(call) },
    { method: 'GET', path: 'sites', handle: (call) => this.sites(call) },
    { method: 'GET', path: 'sites/:site/webhooks', handle: (call) => this.listWebhooks(call) },
    { method: 'POST', path: 'sites/:site/webhooks', handle: (call) => this.createWebhook(call) },
    { method: 'GET', path: 'webhooks/:webhook', handle: async (call) => json(webhookOf(await this.webhookOf(call))) },
    { method: 'DELETE', path: 'webhooks/:webhook', handle: (call) => this.deleteWebhook(call) },
  ];

  /**
   * Site webhooks: `x-webflow-signature` is the hex HMAC-SHA256 of `"{x-webflow-timestamp}:{body}"`
   * with the app's client secret, the timestamp in epoch milliseconds; body `{triggerType, payload}`.
   */
  override readonly webhooks: SimulatedWebhooks = {
    events: TRIGGER_TYPES,
    newId: () => randomBytes(12).toString('hex'),
    receives: registeredFor,
    defaultEvent: (hook) => firstEvent(hook, undefined, 'form_submission'),
    body: (type, hook, event) => ({ triggerType: type, payload: webflowPayload(type, hook, event) }),
    sign: (body, _hook, now) => {
      const timestamp = String(now.getTime());
      return {
        'x-webflow-timestamp': timestamp,
        'x-webflow-signature': hmac('sha256', this.clientSecret, timestamp, ':', body).toString('hex'),
      };
    },
  };

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
          siteIds: [siteIdOf(token.account)],
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

  /** `GET /sites/{site_id}/webhooks`: `{webhooks, pagination}`. */
  private async listWebhooks(call: ApiCall): Promise<SandboxReply> {
    const site = this.siteOf(call);
    const hooks = (await call.webhooks.list(this.accountKey(call.token.account))).filter((h) => h.data.siteId === site);
    return json({
      webhooks: hooks.map(webhookOf),
      pagination: { limit: 100, offset: 0, total: hooks.length },
    });
  }

  /** `POST /sites/{site_id}/webhooks {triggerType, url, filter?}`: 200 with the webhook. */
  private async createWebhook(call: ApiCall): Promise<SandboxReply> {
    const site = this.siteOf(call);
    const body = jsonObject(call.format, call.body);
    if (!body) this.validation('Request body must be a JSON object');
    const { triggerType, url, filter } = body;
    if (typeof triggerType !== 'string' || !TRIGGER_TYPES.includes(triggerType))
      this.validation(`triggerType must be one of: ${TRIGGER_TYPES.join(', ')}`);
    if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url)) this.validation('url must be a valid URL');
    if (filter !== undefined && (filter === null || typeof filter !== 'object' || Array.isArray(filter)))
      this.validation('filter must be an object');
    const account = this.accountKey(call.token.account);
    const same = (await call.webhooks.list(account)).filter(
      (h) => h.data.siteId === site && h.events[0] === triggerType,
    );
    if (same.length >= MAX_PER_TRIGGER)
      this.validation(`A site may have at most ${MAX_PER_TRIGGER} webhooks of one triggerType`);
    const hook = await call.webhooks.create({
      id: this.webhooks.newId(),
      account,
      events: [triggerType],
      url,
      status: 'active',
      data: { siteId: site, workspaceId: workspaceIdOf(call.token.account), ...(filter ? { filter } : {}) },
    });
    return json(webhookOf(hook));
  }

  /** `DELETE /webhooks/{webhook_id}`: 204. */
  private async deleteWebhook(call: ApiCall): Promise<SandboxReply> {
    const hook = await this.webhookOf(call);
    await call.webhooks.remove(hook.id);
    return { status: 204 };
  }

  private async webhookOf(call: ApiCall): Promise<StoredWebhook> {
    const hook = await call.webhooks.find(call.params.webhook);
    if (!hook || hook.account !== this.accountKey(call.token.account))
      this.fail(404, 'resource_not_found', webflowError('resource_not_found', 'Requested resource not found'));
    return hook;
  }

  /** The path's site, when the token is authorized for it. */
  private siteOf(call: ApiCall): string {
    const site = siteIdOf(call.token.account);
    if (call.params.site !== site)
      this.fail(404, 'resource_not_found', webflowError('resource_not_found', 'Requested resource not found'));
    return site;
  }

  private validation(message: string): never {
    return this.fail(400, 'validation_error', webflowError('validation_error', message));
  }

  /** `GET /sites`: the one site of the authorizing user's workspace. */
  private sites({ token: { account } }: ApiCall): SandboxReply {
    const id = siteIdOf(account);
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

/** A webhook as the Data API shows it. */
const webhookOf = (hook: StoredWebhook) => ({
  id: hook.id,
  workspaceId: hook.data.workspaceId,
  siteId: hook.data.siteId,
  triggerType: hook.events[0],
  url: hook.url,
  ...(hook.data.filter ? { filter: hook.data.filter } : {}),
  createdOn: hook.createdAt.toISOString(),
  lastTriggered: null,
});

/** The `payload` of a delivery: a form submission, a site publish, or the site and an item id. */
function webflowPayload(type: string, hook: StoredWebhook, event: { id: string; now: Date }): Record<string, unknown> {
  const siteId = hook.data.siteId as string;
  const id = hexOf(['webflow-event', event.id], 24);
  const at = event.now.toISOString();
  if (type === 'form_submission')
    return {
      name: 'Contact form',
      siteId,
      data: { Name: 'Sandbox Visitor', Email: 'visitor@sandbox.example', Message: 'Hello from the sandbox' },
      submittedAt: at,
      id,
      formId: hexOf(['webflow-form', siteId], 24),
      formElementId: hexOf(['webflow-form-element', siteId], 24),
      pageId: hexOf(['webflow-page', siteId], 24),
      publishedPath: '/contact',
    };
  if (type === 'site_publish')
    return { siteId, publishedOn: at, domains: [`site-${siteId.slice(0, 6)}.webflow.io`], publishedBy: null };
  if (type.startsWith('ecomm_'))
    return {
      siteId,
      orderId: String(numberOf(['webflow-order', event.id], 1000, 9000)),
      status: 'pending',
      customerInfo: { fullName: 'Sandbox Customer', email: 'customer@sandbox.example' },
      acceptedOn: at,
    };
  return { siteId, id, createdOn: at, lastUpdated: at };
}
