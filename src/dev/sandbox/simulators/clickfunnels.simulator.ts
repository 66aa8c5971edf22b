import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { DEFAULT_ACCOUNT_SEED, emailOf, FIXED_DATE, numberOf, shortId, title } from './accounts';
import {
  ApiCall,
  ApiRoute,
  IssuedTokens,
  RevokeStyle,
  SandboxAccount,
  SimulatorBase,
  StoredRecord,
  WireRules,
} from './simulator';
import { integerParam, json, jsonObject, Params, SandboxError, SandboxReply } from './wire';

const CONTACT = 'contact';
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

  readonly api: readonly ApiRoute[] = [
    { method: 'GET', path: 'teams', whoami: true, handle: (call) => this.teams(call) },
    { method: 'GET', path: 'workspaces/:id', handle: (call) => this.workspace(call) },
    { method: 'GET', path: 'workspaces/:id/contacts', handle: (call) => this.listContacts(call) },
    { method: 'POST', path: 'workspaces/:id/contacts', handle: (call) => this.createContact(call) },
  ];

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

const contactOf = (record: StoredRecord) => ({
  id: record.id,
  public_id: shortId(`contact:${record.id}`, 6),
  ...record.data,
});
