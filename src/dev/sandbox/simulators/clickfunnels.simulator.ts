import type { FastifyRequest } from 'fastify';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { hmac } from '../../../crypto/hmac';
import { DEFAULT_ACCOUNT_SEED, emailOf, FIXED_DATE, numberOf, shortId, title } from './accounts';
import {
  ApiCall,
  ApiRoute,
  firstEvent,
  IssuedTokens,
  registeredFor,
  RevokeStyle,
  SandboxAccount,
  SimulatedWebhooks,
  SimulatorBase,
  StoredRecord,
  StoredWebhook,
  WireRules,
} from './simulator';
import { integerParam, json, jsonObject, Params, SandboxError, SandboxReply } from './wire';
import { CLICKFUNNELS_EVENT_NAMES } from '../../../providers/clickfunnels/clickfunnels.events';

const CONTACT = 'contact';
const DISCONNECTED = 'platform_application.disconnected';

/**
 * Event types an outgoing endpoint may subscribe to (`event_type_ids`): the provider module's list of
 * ClickFunnels' "Webhook Event Types", and the app's disconnect.
 */
const EVENT_TYPES = [...CLICKFUNNELS_EVENT_NAMES, DISCONNECTED];
const PAGE_SIZE = 20;
const CONTACT_FIELDS = [
  'email_address',
  'first_name',
  'last_name',
  'phone_number',
  'time_zone',
  'fb_url',
  'twitter_url',
  'instagram_url',
  'linkedin_url',
  'website_url',
];

/**
 * ClickFunnels 2.0, docs/providers.md#clickfunnels-20: a Doorkeeper server. JSON token calls, PKCE
 * S256, `new_installation=true` and `grant_type` on the authorize URL, a token answer naming the team
 * and the workspace the user picked, tokens that do not expire, RFC 7009 revoke, and an API that
 * blocks requests without a User-Agent. API base `https://accounts.myclickfunnels.com/api/v2`:
 * teams (the whoami), the workspace, and a slice of its contacts.
 */
export class ClickfunnelsSimulator extends SimulatorBase {
  readonly name = 'clickfunnels';
  readonly displayName = 'ClickFunnels 2.0';
  readonly wire: WireRules = {
    tokenBody: { json: true, form: false },
    clientAuth: ['body', 'basic'],
    grantTypes: ['authorization_code'],
    grantTypeOptional: false,
    responseTypeOptional: false,
    pkce: true,
    scopeSeparator: ' ',
    // The response says expires_in 7200, the doc says tokens do not expire: the simulator follows the doc.
    accessTokenTtlSeconds: null,
    refreshTokenTtlSeconds: null,
  };

  /** Doorkeeper's RFC 7009 endpoint: 200 whether or not the token was known. */
  override readonly revoke: RevokeStyle = { clientAuth: ['body', 'basic'], tokenParam: 'token', answer: {} };

  /** `{api}/api/v2/…` is `{api}/…`, also under the workspace URL (which stands for the workspace's own origin, `https://{sub}.myclickfunnels.com`). */
  override readonly apiPrefix = /^\/*(?:workspaces\/[^/]+\/)?api\/v2(?:\/|$)/i;

  readonly api: readonly ApiRoute[] = [
    { method: 'GET', path: 'teams', whoami: true, handle: (call) => this.teams(call) },
    { method: 'GET', path: 'workspaces/:id', handle: (call) => this.workspace(call) },
    { method: 'GET', path: 'workspaces/:id/contacts', handle: (call) => this.listContacts(call) },
    { method: 'POST', path: 'workspaces/:id/contacts', handle: (call) => this.createContact(call) },
    { method: 'GET', path: 'workspaces/:id/webhooks/outgoing/endpoints', handle: (call) => this.listEndpoints(call) },
    { method: 'POST', path: 'workspaces/:id/webhooks/outgoing/endpoints', handle: (call) => this.createEndpoint(call) },
    // Shallow routes (Rails): an endpoint by its own id; also under its workspace.
    { method: 'GET', path: 'webhooks/outgoing/endpoints/:endpoint', handle: (call) => this.getEndpoint(call) },
    { method: 'DELETE', path: 'webhooks/outgoing/endpoints/:endpoint', handle: (call) => this.deleteEndpoint(call) },
    {
      method: 'DELETE',
      path: 'workspaces/:id/webhooks/outgoing/endpoints/:endpoint',
      handle: (call) => this.deleteEndpoint(call),
    },
  ];

  /**
   * Outgoing endpoints: `X-Webhook-ClickFunnels-Signature` is the hex HMAC-SHA256 of
   * `"{timestamp}.{body}"` with the endpoint's `webhook_secret`, `X-Webhook-ClickFunnels-Timestamp`
   * Unix seconds; the V2 envelope `{event_id, event_type, subject_id, subject_type, workspace_id, data}`.
   * An endpoint without event types receives every event (the simulator's reading).
   */
  override readonly webhooks: SimulatedWebhooks = {
    events: EVENT_TYPES,
    uninstallEvent: DISCONNECTED,
    newId: () => String(randomInt(100_000, 1_000_000_000)),
    receives: registeredFor,
    defaultEvent: (hook) => firstEvent(hook, DISCONNECTED, 'contact.created'),
    body: (type, hook, event) => clickfunnelsEvent(type, hook, event),
    sign: (body, hook, now) => {
      const timestamp = String(Math.floor(now.getTime() / 1000));
      return {
        'X-Webhook-ClickFunnels-Signature': hmac('sha256', hook.secret ?? '', timestamp, '.', body).toString('hex'),
        'X-Webhook-ClickFunnels-Timestamp': timestamp,
      };
    },
  };

  /** Seeds may be `team/workspace` to simulate two workspaces of one team. */
  account(seed: string): SandboxAccount {
    const team = seed.split('/')[0] || DEFAULT_ACCOUNT_SEED;
    const workspace = seed.includes('/') ? seed.slice(seed.indexOf('/') + 1) : seed;
    return {
      userId: String(numberOf(['cf2-user', seed], 10_000, 90_000)),
      email: emailOf(seed),
      teamId: numberOf(['cf2-team', team], 1000, 9000),
      teamName: `${title(team)}'s Team`,
      workspaceId: numberOf(['cf2-workspace', seed], 10_000, 90_000),
      workspaceName: title(workspace),
    };
  }

  /** The service's account id of a ClickFunnels 2.0 connection is its workspace. */
  override accountKey(account: SandboxAccount): string {
    return String(account.workspaceId);
  }

  override describeAccount(account: SandboxAccount): Array<[string, string]> {
    return [
      ['User', account.email],
      ['Team', `${account.teamName} (#${account.teamId})`],
      ['Workspace', `${account.workspaceName} (#${account.workspaceId})`],
    ];
  }

  /** The seed lists both on the authorize URL and the real server refuses the request without them. */
  override checkAuthorize(params: Params): void {
    if (params.get('new_installation') !== 'true') this.refuse('new_installation must be true');
    if (params.get('grant_type') !== 'authorization_code') this.refuse('grant_type must be authorization_code');
  }

  override grantedScope(): string {
    return 'admin read';
  }

  /** The workspace URL the token answer carries: the simulator's own workspace endpoint. */
  override accountAtIssue(account: SandboxAccount, origin: string): SandboxAccount {
    return { ...account, workspaceUrl: `${origin}/sandbox/clickfunnels/api/workspaces/${account.workspaceId}` };
  }

  tokenResponse(issued: IssuedTokens, account: SandboxAccount, scope: string): Record<string, unknown> {
    return {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: 7200,
      scope,
      created_at: Math.floor(Date.now() / 1000),
      team_id: account.teamId,
      team_name: account.teamName,
      workspace_id: account.workspaceId,
      workspace_name: account.workspaceName,
      workspace_url: account.workspaceUrl,
    };
  }

  /** ClickFunnels blocks API requests that carry no User-Agent. */
  override checkApiRequest(req: Pick<FastifyRequest, 'headers'>): void {
    if (!req.headers['user-agent'])
      throw new SandboxError(403, 'forbidden', 'Requests without a User-Agent header are blocked');
  }

  private teams({ token: { account } }: ApiCall): SandboxReply {
    return json([
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

  private workspace(call: ApiCall): SandboxReply {
    const account = this.workspaceOf(call);
    return json({
      id: account.workspaceId,
      public_id: shortId(`workspace:${account.workspaceId}`, 6),
      team_id: account.teamId,
      name: account.workspaceName,
      subdomain: (account.workspaceName ?? 'workspace').toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      created_at: FIXED_DATE,
      updated_at: FIXED_DATE,
    });
  }

  /** `GET /workspaces/{id}/contacts?after=`: oldest first, 20 a page, `Pagination-Next` while more follow. */
  private async listContacts(call: ApiCall): Promise<SandboxReply> {
    const account = this.workspaceOf(call);
    const after = integerParam(call.query.get('after'), 0, Number.MAX_SAFE_INTEGER);
    if (after === null) this.fail(400, 'bad_request', { error: 'Bad request: after must be a contact id' });
    // One more than a page: whether another page follows.
    const { items } = await call.records.list(CONTACT, String(account.workspaceId), {
      limit: PAGE_SIZE + 1,
      afterId: after,
    });
    const contacts = items.slice(0, PAGE_SIZE).map(contactOf);
    if (items.length > PAGE_SIZE) {
      const next = String(items[PAGE_SIZE - 1].id);
      const url = `${call.origin}/sandbox/clickfunnels/api/workspaces/${account.workspaceId}/contacts?after=${next}`;
      return json(contacts, 200, { 'Pagination-Next': next, Link: `<${url}>; rel="next"` });
    }
    return json(contacts);
  }

  /** `POST /workspaces/{id}/contacts` with `{contact: {email_address, first_name, …}}`: 201 with the contact. */
  private async createContact(call: ApiCall): Promise<SandboxReply> {
    const account = this.workspaceOf(call);
    const contact = jsonObject(call.format, jsonObject(call.format, call.body)?.contact);
    if (!contact)
      this.fail(400, 'bad_request', { error: 'Bad request: param is missing or the value is empty: contact' });
    const fields: Record<string, string | null> = {};
    for (const key of CONTACT_FIELDS) {
      const value = contact[key];
      if (value !== undefined && value !== null && typeof value !== 'string') this.invalid(`${key} must be a string`);
      fields[key] = (value as string | undefined) ?? null;
    }
    if (!fields.email_address) this.invalid("Email address can't be blank");
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(fields.email_address)) this.invalid('Email address is invalid');
    const now = new Date().toISOString();
    const created = await call.records.create(CONTACT, String(account.workspaceId), {
      workspace_id: account.workspaceId,
      anonymous: null,
      ...fields,
      uuid: randomUUID(),
      unsubscribed_at: null,
      last_notification_email_sent_at: null,
      created_at: now,
      updated_at: now,
      tags: [],
      custom_attributes: {},
    });
    return json(contactOf(created), 201);
  }

  /** `GET /workspaces/{id}/webhooks/outgoing/endpoints`: the workspace's endpoints (never their secrets). */
  private async listEndpoints(call: ApiCall): Promise<SandboxReply> {
    const account = this.workspaceOf(call);
    const hooks = await call.webhooks.list(this.accountKey(account));
    return json(hooks.map((hook) => endpointOf(hook)));
  }

  /**
   * `POST /workspaces/{id}/webhooks/outgoing/endpoints` with `{webhooks_outgoing_endpoint: {url, name,
   * event_type_ids}}`: 201 with the endpoint and its `webhook_secret`, the only answer that shows it.
   */
  private async createEndpoint(call: ApiCall): Promise<SandboxReply> {
    const account = this.workspaceOf(call);
    const endpoint = jsonObject(call.format, jsonObject(call.format, call.body)?.webhooks_outgoing_endpoint);
    if (!endpoint)
      this.fail(400, 'bad_request', {
        error: 'Bad request: param is missing or the value is empty: webhooks_outgoing_endpoint',
      });
    const { url, name } = endpoint;
    const types = endpoint.event_type_ids ?? [];
    if (typeof url !== 'string' || !isHttpUrl(url)) this.invalid('Url is invalid');
    if (name !== undefined && name !== null && typeof name !== 'string') this.invalid('Name must be a string');
    if (!Array.isArray(types) || !types.every((t): t is string => typeof t === 'string'))
      this.invalid('Event type ids must be a list of event types');
    const unknown = types.filter((t) => !EVENT_TYPES.includes(t));
    if (unknown.length) this.invalid(`Event type ids include unknown event types: ${unknown.join(', ')}`);
    const secret = randomBytes(32).toString('hex');
    const hook = await call.webhooks.create({
      id: this.webhooks.newId(),
      account: this.accountKey(account),
      events: [...new Set(types)],
      url,
      name: name ?? null,
      secret,
      status: 'active',
      data: { teamId: account.teamId },
    });
    return json({ ...endpointOf(hook), webhook_secret: secret }, 201);
  }

  private async getEndpoint(call: ApiCall): Promise<SandboxReply> {
    return json(endpointOf(await this.endpointOf(call)));
  }

  /** `DELETE /webhooks/outgoing/endpoints/{id}`: 204; the endpoint gets no more events. */
  private async deleteEndpoint(call: ApiCall): Promise<SandboxReply> {
    const hook = await this.endpointOf(call);
    await call.webhooks.remove(hook.id);
    return { status: 204 };
  }

  /** The endpoint the path names, when it belongs to the token's workspace (else not found). */
  private async endpointOf(call: ApiCall): Promise<StoredWebhook> {
    if (call.params.id !== undefined) this.workspaceOf(call);
    const hook = await call.webhooks.find(call.params.endpoint);
    if (!hook || hook.account !== this.accountKey(call.token.account))
      this.fail(404, 'not_found', { error: 'Not found: Record missing' });
    return hook;
  }

  /** The token's workspace when the path names it; any other id is not found (the token sees one workspace). */
  private workspaceOf(call: ApiCall): SandboxAccount {
    if (String(call.token.account.workspaceId) !== call.params.id)
      this.fail(404, 'not_found', { error: 'Not found: Record missing' });
    return call.token.account;
  }

  private invalid(message: string): never {
    return this.fail(422, 'unprocessable_entity', { error: `Validation failed: ${message}` });
  }
}

const isHttpUrl = (value: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
};

/** An outgoing endpoint as the API shows it (the secret only in the create answer). */
const endpointOf = (hook: StoredWebhook) => ({
  id: Number(hook.id),
  public_id: shortId(`endpoint:${hook.id}`, 6),
  workspace_id: Number(hook.account),
  url: hook.url,
  name: hook.name,
  event_type_ids: hook.events,
  api_version: 2,
  created_at: hook.createdAt.toISOString(),
  updated_at: hook.createdAt.toISOString(),
});

/** A V2 event: contacts, orders, or the app's disconnect. */
function clickfunnelsEvent(type: string, hook: StoredWebhook, event: { id: string; now: Date }) {
  const workspaceId = Number(hook.account);
  const at = event.now.toISOString();
  const subjectId = numberOf(['cf2-subject', event.id], 100_000, 900_000);
  const envelope = (subjectType: string, data: Record<string, unknown>) => ({
    event_id: event.id,
    event_type: type,
    subject_id: subjectId,
    subject_type: subjectType,
    workspace_id: workspaceId,
    created_at: at,
    data,
  });
  if (type === DISCONNECTED)
    return envelope('PlatformApplication', {
      workspace_id: workspaceId,
      team_id: hook.data.teamId ?? null,
      disconnected_at: at,
    });
  if (type.includes('order'))
    return envelope('Order', {
      id: subjectId,
      public_id: shortId(`order:${subjectId}`, 6),
      workspace_id: workspaceId,
      order_number: subjectId % 100_000,
      total_amount: '49.00',
      currency: 'USD',
      contact: { email_address: 'customer@sandbox.example' },
      created_at: at,
      updated_at: at,
    });
  return envelope('Contact', {
    id: subjectId,
    public_id: shortId(`contact:${subjectId}`, 6),
    workspace_id: workspaceId,
    email_address: `contact-${subjectId}@sandbox.example`,
    first_name: 'Sandbox',
    last_name: 'Contact',
    created_at: at,
    updated_at: at,
  });
}

const contactOf = (record: StoredRecord) => ({
  id: record.id,
  public_id: shortId(`contact:${record.id}`, 6),
  ...record.data,
});
