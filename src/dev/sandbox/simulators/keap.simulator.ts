import { randomInt } from 'node:crypto';
import { DEFAULT_ACCOUNT_SEED, emailOf, numberOf, personName } from './accounts';
import {
  ApiCall,
  ApiRoute,
  bearerUnauthorized,
  firstEvent,
  IssuedTokens,
  registeredFor,
  SandboxAccount,
  SimulatedWebhooks,
  SimulatorBase,
  StoredRecord,
  StoredWebhook,
  TokenProblem,
  WireRules,
} from './simulator';
import { integerParam, json, jsonObject, Params, SandboxReply } from './wire';
import { KEAP_EVENT_NAMES } from '../../../providers/keap/keap.events';

const DAY = 86_400;
const CONTACT = 'contact';
const EMAIL_FIELDS = ['EMAIL1', 'EMAIL2', 'EMAIL3'];
const PHONE_FIELDS = ['PHONE1', 'PHONE2', 'PHONE3', 'PHONE4', 'PHONE5'];

/** `GET /v1/hooks/event_keys`: Keap's long-standing object events (one per hook), the provider module's list. */
const EVENT_KEYS = KEAP_EVENT_NAMES;

const keapHost = (account: SandboxAccount) => `${account.appName ?? 'ab000'}.infusionsoft.com`;

/**
 * Keap (Infusionsoft), docs/providers.md#keap: form-urlencoded token calls, client credentials in the
 * body or an HTTP Basic header, `scope=full` only, rotating refresh tokens, the app in the token
 * answer's scope (`full|ab123.infusionsoft.com`), no revoke. API base: the REST v1 API
 * (`https://api.infusionsoft.com/crm/rest/v1`): userinfo (the whoami) and a slice of contacts.
 */
export class KeapSimulator extends SimulatorBase {
  readonly name = 'keap';
  readonly displayName = 'Keap (Infusionsoft)';
  readonly wire: WireRules = {
    tokenBody: { json: false, form: true },
    clientAuth: ['body', 'basic'],
    grantTypes: ['authorization_code', 'refresh_token'],
    grantTypeOptional: false,
    responseTypeOptional: false,
    pkce: false,
    scopeSeparator: ' ',
    accessTokenTtlSeconds: DAY,
    // The seed says refresh tokens last 90 days (Keap staff have said 45).
    refreshTokenTtlSeconds: 90 * DAY,
  };

  /** `{api}/v1/hooks` is `{api}/hooks` (the real base ends with /v1). */
  override readonly apiPrefix = /^\/*v1(?:\/|$)/i;

  readonly api: readonly ApiRoute[] = [
    { method: 'GET', path: 'oauth/connect/userinfo', whoami: true, handle: (call) => this.userinfo(call) },
    { method: 'GET', path: 'contacts', handle: (call) => this.listContacts(call) },
    { method: 'POST', path: 'contacts', handle: (call) => this.createContact(call) },
    // Before hooks/:key, which would take `event_keys` as a key.
    { method: 'GET', path: 'hooks/event_keys', handle: () => json(EVENT_KEYS) },
    { method: 'GET', path: 'hooks', handle: (call) => this.listHooks(call) },
    { method: 'POST', path: 'hooks', handle: (call) => this.createHook(call) },
    { method: 'GET', path: 'hooks/:key', handle: async (call) => json(hookOf(await this.hookOf(call))) },
    { method: 'DELETE', path: 'hooks/:key', handle: (call) => this.deleteHook(call) },
    { method: 'POST', path: 'hooks/:key/verify', handle: (call) => this.verifyHook(call) },
  ];

  /**
   * REST hooks: unsigned deliveries `{event_key, object_type, object_keys: [{id, apiUrl, timestamp}]}`,
   * only to a hook whose `X-Hook-Secret` handshake was echoed (`Verified`); a 410 makes it `Inactive`
   * until `/verify`.
   */
  override readonly webhooks: SimulatedWebhooks = {
    events: EVENT_KEYS,
    newId: () => String(randomInt(1, 1_000_000_000)),
    receives: registeredFor,
    defaultEvent: (hook) => firstEvent(hook, undefined, 'contact.add'),
    body: (type, _hook, event) => ({
      event_key: type,
      object_type: type.split('.')[0],
      object_keys: [
        {
          id: numberOf(['keap-object', event.id], 1, 1_000_000),
          apiUrl: '',
          timestamp: event.now.toISOString(),
        },
      ],
    }),
    sign: () => ({}),
    statusAfter: (status) => (status === 410 ? 'Inactive' : undefined),
  };

  /** One Keap app per account name: `Acme Corp` → app `abacmecorp`. */
  account(seed: string): SandboxAccount {
    const alnum = seed.replace(/[^a-z0-9]+/g, '').slice(0, 20);
    return {
      userId: String(numberOf(['keap-user', seed], 100_000, 900_000)),
      email: emailOf(seed),
      appName: `ab${alnum || numberOf(['keap-app', seed], 100, 900)}`,
    };
  }

  /** The service's account id of a Keap connection is the app (`ab123`). */
  override accountKey(account: SandboxAccount): string {
    return account.appName ?? DEFAULT_ACCOUNT_SEED;
  }

  override describeAccount(account: SandboxAccount): Array<[string, string]> {
    return [
      ['User', account.email],
      ['Keap app', keapHost(account)],
    ];
  }

  override checkAuthorize(_params: Params, scope: string): void {
    if (scope !== 'full') this.refuse('scope must be full');
  }

  tokenResponse(issued: IssuedTokens, account: SandboxAccount, scope: string): Record<string, unknown> {
    return {
      access_token: issued.accessToken,
      token_type: 'bearer',
      expires_in: DAY,
      refresh_token: issued.refreshToken,
      scope: `${scope}|${keapHost(account)}`,
    };
  }

  /** Keap's API gateway (Apigee) describes a refused token in a `fault`; the OAuth fields stay for clients reading those. */
  override unauthorized(problem: TokenProblem): SandboxReply {
    const expired = problem === 'expired';
    return bearerUnauthorized(problem, {
      fault: {
        faultstring: expired ? 'Access Token expired' : 'Invalid Access Token',
        detail: {
          errorcode: expired
            ? 'keymanagement.service.access_token_expired'
            : 'keymanagement.service.invalid_access_token',
        },
      },
    });
  }

  private userinfo({ token: { account } }: ApiCall): SandboxReply {
    const name = personName(account.email);
    return json({
      email: account.email,
      family_name: name.last,
      given_name: name.first,
      global_user_id: Number(account.userId),
      infusionsoft_id: keapHost(account),
      middle_name: '',
      preferred_name: name.first,
    });
  }

  /** `GET /contacts?limit=&offset=`: `{contacts, count, next, previous}`, oldest first. */
  private async listContacts(call: ApiCall): Promise<SandboxReply> {
    const limit = integerParam(call.query.get('limit'), 1, 1000);
    const offset = integerParam(call.query.get('offset'), 0, 1_000_000_000);
    if (limit === null || offset === null) this.badRequest('limit must be 1 to 1000 and offset 0 or more');
    const page = { limit: limit ?? 1000, offset: offset ?? 0 };
    const { items, total } = await call.records.list(CONTACT, this.owner(call), page);
    const link = (at: number) => `${call.origin}/sandbox/keap/api/contacts/?limit=${page.limit}&offset=${at}`;
    return json({
      contacts: items.map(contactOf),
      count: total,
      next: page.offset + items.length < total ? link(page.offset + page.limit) : null,
      previous: page.offset > 0 ? link(Math.max(0, page.offset - page.limit)) : null,
    });
  }

  /** `POST /contacts` (JSON): needs an e-mail address or a phone number; 201 with the contact. */
  private async createContact(call: ApiCall): Promise<SandboxReply> {
    const body = jsonObject(call.format, call.body);
    if (!body) this.badRequest('Input could not be converted to a valid request: expected a JSON object');
    const emails = this.entries(body.email_addresses, 'email_addresses', 'email', EMAIL_FIELDS);
    const phones = this.entries(body.phone_numbers, 'phone_numbers', 'number', PHONE_FIELDS);
    if (!emails.length && !phones.length)
      this.badRequest('Contact must contain at least one email address or phone number');
    if (emails.some((e) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e.email))) this.badRequest('Invalid email address');
    const names: Record<string, string | null> = {};
    for (const key of ['given_name', 'middle_name', 'family_name']) {
      const value = body[key];
      if (value !== undefined && value !== null && typeof value !== 'string')
        this.badRequest(`${key} must be a string`);
      names[key] = (value as string | undefined) ?? null;
    }
    const now = new Date().toISOString();
    const created = await call.records.create(CONTACT, this.owner(call), {
      ...names,
      email_addresses: emails,
      phone_numbers: phones,
      tag_ids: [],
      email_opted_in: false,
      email_status: 'UnengagedNonMarketable',
      owner_id: Number(call.token.account.userId),
      date_created: now,
      last_updated: now,
    });
    return json(contactOf(created), 201);
  }

  /** `GET /hooks`: the app's hooks. */
  private async listHooks(call: ApiCall): Promise<SandboxReply> {
    return json((await call.webhooks.list(this.accountKey(call.token.account))).map(hookOf));
  }

  /**
   * `POST /hooks {eventKey, hookUrl}`: the handshake is sent before the answer (a 200 echoing
   * `X-Hook-Secret` makes the hook `Verified`, anything else leaves it `Unverified`); 200 with the hook.
   */
  private async createHook(call: ApiCall): Promise<SandboxReply> {
    const body = jsonObject(call.format, call.body);
    if (!body) this.badRequest('Input could not be converted to a valid request: expected a JSON object');
    const { eventKey, hookUrl } = body;
    if (typeof eventKey !== 'string' || !EVENT_KEYS.includes(eventKey))
      this.badRequest(`Invalid eventKey: must be one of GET /hooks/event_keys`);
    if (typeof hookUrl !== 'string' || !/^https?:\/\/[^\s]+$/.test(hookUrl)) this.badRequest('Invalid hookUrl');
    const handshake = await call.webhooks.handshake(hookUrl);
    const hook = await call.webhooks.create({
      id: this.webhooks.newId(),
      account: this.accountKey(call.token.account),
      events: [eventKey],
      url: hookUrl,
      secret: handshake.secret,
      status: handshake.verified ? 'Verified' : 'Unverified',
    });
    return json(hookOf(hook));
  }

  /** `DELETE /hooks/{key}`: 204. */
  private async deleteHook(call: ApiCall): Promise<SandboxReply> {
    const hook = await this.hookOf(call);
    await call.webhooks.remove(hook.id);
    return { status: 204 };
  }

  /** `POST /hooks/{key}/verify`: the handshake again; the hook as it now is. */
  private async verifyHook(call: ApiCall): Promise<SandboxReply> {
    const hook = await this.hookOf(call);
    const handshake = await call.webhooks.handshake(hook.url);
    const status = handshake.verified ? 'Verified' : 'Unverified';
    await call.webhooks.update(hook.id, { status, secret: handshake.secret });
    return json(hookOf({ ...hook, status }));
  }

  private async hookOf(call: ApiCall): Promise<StoredWebhook> {
    const hook = await call.webhooks.find(call.params.key);
    if (!hook || hook.account !== this.accountKey(call.token.account))
      this.fail(404, 'not_found', { message: `Hook ${call.params.key} not found` });
    return hook;
  }

  /** `[{email|number, field}]` with Keap's field names (EMAIL1…, PHONE1…). */
  private entries(value: unknown, name: string, key: string, fields: string[]): Array<Record<string, string>> {
    if (value === undefined || value === null) return [];
    const ok =
      Array.isArray(value) &&
      value.every(
        (e: unknown) =>
          typeof e === 'object' &&
          e !== null &&
          typeof (e as Record<string, unknown>)[key] === 'string' &&
          fields.includes((e as Record<string, unknown>).field as string),
      );
    if (!ok) this.badRequest(`${name} must be a list of {${key}, field} with field one of ${fields.join(', ')}`);
    return (value as Array<Record<string, string>>).map((e) => ({ [key]: e[key], field: e.field }));
  }

  /** Contacts belong to the Keap app the token was issued for. */
  private owner(call: ApiCall): string {
    return call.token.account.appName ?? DEFAULT_ACCOUNT_SEED;
  }

  /** Keap's REST v1 error body. */
  private badRequest(message: string): never {
    return this.fail(400, 'bad_request', { message });
  }
}

const contactOf = (record: StoredRecord) => ({ id: record.id, ...record.data });

/** A REST hook as Keap shows it. */
const hookOf = (hook: StoredWebhook) => ({
  key: hook.id,
  eventKey: hook.events[0],
  hookUrl: hook.url,
  status: hook.status,
});
