import type { FastifyRequest } from 'fastify';
import { randomInt } from 'node:crypto';
import { hmac } from '../../../crypto/hmac';
import { emailOf, FIXED_DATE, numberOf, personName } from './accounts';
import { executeGraphql, Field, GraphqlError, GraphqlObject, parseOperation, rootFields, selectField } from './graphql';
import {
  ApiCall,
  ApiRoute,
  firstEvent,
  IssuedTokens,
  registeredFor,
  SandboxAccount,
  SimulatedWebhooks,
  SimulatorBase,
  StoredWebhook,
  WireRules,
} from './simulator';
import { basicCredentials, BodyFormat, invalidRequest, json, jsonObject, SandboxReply } from './wire';
import { LIGHTFUNNELS_EVENT_NAMES } from '../../../providers/lightfunnels/lightfunnels.events';

const UNINSTALLED = 'app/uninstalled';

/** `createWebhook`'s types (developer.lightfunnels.com/webhooks): the provider module's list, and the uninstall. */
const WEBHOOK_TYPES = [...LIGHTFUNNELS_EVENT_NAMES, UNINSTALLED];

/** A resolver's refusal, answered as GraphQL errors beside `data` (the field null), code as message. */
class LightfunnelsError extends Error {}

const gid = (kind: string, id: number) => Buffer.from(`${kind}:${id}`).toString('base64');

const ORDERS = [
  { total: 49, email: 'customer1@sandbox.example' },
  { total: 19.9, email: 'customer2@sandbox.example' },
  { total: 120, email: 'customer3@sandbox.example' },
];
const DEFAULT_PAGE = 25;
const MAX_PAGE = 100;

const cursorOf = (index: number) => Buffer.from(`cursor:${index}`).toString('base64');
function indexOf(cursor: unknown): number {
  const match = typeof cursor === 'string' ? /^cursor:(\d{1,6})$/.exec(Buffer.from(cursor, 'base64').toString()) : null;
  if (!match) throw new GraphqlError('after is not a cursor of this list');
  return Number(match[1]);
}

/** The whoami is the query the provider module sends: `{ account { id } }` and nothing else. */
function isAccountQuery(body: unknown): boolean {
  const query = (body as { query?: unknown } | null)?.query;
  const roots = typeof query === 'string' ? rootFields(query) : null;
  return roots !== null && roots.length > 0 && roots.every((name) => name === 'account');
}

/**
 * Lightfunnels, docs/providers.md#lightfunnels: a JSON token call `{client_id, client_secret, code}`
 * without grant_type or redirect_uri (a form body only with HTTP Basic, the older endpoint), scopes
 * joined with commas, a permanent token and nothing else in the answer. API base
 * `https://services.lightfunnels.com/api/v2`: one GraphQL endpoint answering the `account` query (the
 * whoami) and the first page of `orders`.
 */
export class LightfunnelsSimulator extends SimulatorBase {
  readonly name = 'lightfunnels';
  readonly displayName = 'Lightfunnels';
  readonly wire: WireRules = {
    tokenBody: { json: true, form: true },
    clientAuth: ['body', 'basic'],
    grantTypes: ['authorization_code'],
    grantTypeOptional: true,
    responseTypeOptional: true,
    pkce: false,
    scopeSeparator: ',',
    accessTokenTtlSeconds: null,
    refreshTokenTtlSeconds: null,
  };

  readonly api: readonly ApiRoute[] = [
    { method: 'POST', path: '', whoami: isAccountQuery, handle: (call) => this.graphql(call) },
  ];

  /**
   * Webhooks (`createWebhook`, one type per URL): `lightfunnels-hmac` is the base64 HMAC-SHA256 of the
   * body with the app's client secret; the body is `{node: {…}}`, the uninstall `{node: {id: <account>}}`.
   */
  override readonly webhooks: SimulatedWebhooks = {
    events: WEBHOOK_TYPES,
    uninstallEvent: UNINSTALLED,
    newId: () => String(randomInt(100_000, 1_000_000_000)),
    receives: registeredFor,
    defaultEvent: (hook) => firstEvent(hook, UNINSTALLED, 'order/created'),
    body: (type, hook, event) => ({ node: lightfunnelsNode(type, hook, event) }),
    sign: (body) => ({ 'lightfunnels-hmac': hmac('sha256', this.clientSecret, body).toString('base64') }),
  };

  account(seed: string): SandboxAccount {
    return { userId: String(numberOf(['lf-account', seed], 1_000_000, 9_000_000)), email: emailOf(seed) };
  }

  /** Form bodies only together with HTTP Basic client auth (the /api/access_token doc version). */
  override checkTokenRequest(req: Pick<FastifyRequest, 'headers'>, format: BodyFormat): void {
    if (format === 'form' && !basicCredentials(req))
      throw invalidRequest(
        'Lightfunnels takes a form body only with HTTP Basic client authentication; send JSON {client_id, client_secret, code}',
      );
  }

  /** The token call has no redirect_uri. */
  override checkRedirectUri(): void {}

  tokenResponse(issued: IssuedTokens): Record<string, unknown> {
    return { access_token: issued.accessToken };
  }

  /**
   * `POST /` with `{query, variables?}`: `{data}`, or `{errors}` (400) for what the sandbox cannot
   * answer. Mutations: `createWebhook(node: {type, url, version, settings})` and `deleteWebhook(id)`.
   */
  private async graphql(call: ApiCall): Promise<SandboxReply> {
    const body = jsonObject(call.format, call.body);
    const query = body?.query;
    if (typeof query !== 'string' || !query.trim()) return this.errors('Expected a JSON body {query}');
    const variables = jsonObject('json', body?.variables) ?? {};
    try {
      const operation = parseOperation(query, variables);
      if (operation.operation === 'mutation') return await this.mutation(call, operation.fields);
      const hooks = operation.fields.some((f) => f.name === 'webhooks')
        ? await call.webhooks.list(this.accountKey(call.token.account))
        : [];
      return json({ data: executeGraphql(query, variables, this.root(call.token.account, hooks)) });
    } catch (e) {
      if (e instanceof GraphqlError) return this.errors(e.message);
      throw e;
    }
  }

  /** A mutation's root fields in order; a refused one is null in `data` with its error beside (200). */
  private async mutation(call: ApiCall, fields: Field[]): Promise<SandboxReply> {
    const data: Record<string, unknown> = {};
    const errors: unknown[] = [];
    for (const field of fields) {
      const key = field.alias ?? field.name;
      let value: unknown;
      try {
        if (field.name === 'createWebhook') value = await this.createWebhook(call, field.args.node);
        else if (field.name === 'deleteWebhook') value = await this.deleteWebhook(call, field.args.id);
        else throw new GraphqlError(`Cannot query field "${field.name}" on type "Mutation".`);
      } catch (e) {
        if (!(e instanceof LightfunnelsError)) throw e;
        data[key] = null;
        errors.push({ message: e.message, path: [key], extensions: { code: e.message } });
        continue;
      }
      data[key] = selectField(field, value, 'Mutation');
    }
    return json(errors.length ? { data, errors } : { data });
  }

  /** `createWebhook(node: {type, url, version, settings})`: one type per webhook; the same type and URL twice is `webhooks_duplicated`. */
  private async createWebhook(call: ApiCall, node: unknown): Promise<GraphqlObject> {
    if (node === null || typeof node !== 'object' || Array.isArray(node))
      throw new GraphqlError('createWebhook needs node: {type, url, version, settings}');
    const { type, url, version, settings } = node as Record<string, unknown>;
    if (typeof type !== 'string' || !WEBHOOK_TYPES.includes(type))
      throw new GraphqlError(`node.type must be one of: ${WEBHOOK_TYPES.join(', ')}`);
    if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url)) throw new GraphqlError('node.url must be a URL');
    if (version !== undefined && version !== null && typeof version !== 'string' && typeof version !== 'number')
      throw new GraphqlError('node.version must be a string');
    if (settings !== undefined && settings !== null && (typeof settings !== 'object' || Array.isArray(settings)))
      throw new GraphqlError('node.settings must be an object');
    const account = this.accountKey(call.token.account);
    const existing = await call.webhooks.list(account);
    if (existing.some((h) => h.events[0] === type && h.url === url)) throw new LightfunnelsError('webhooks_duplicated');
    const hook = await call.webhooks.create({
      id: this.webhooks.newId(),
      account,
      events: [type],
      url,
      status: 'active',
      data: { version: version ?? null, settings: settings ?? {} },
    });
    return webhookNode(hook);
  }

  /** `deleteWebhook(id)`: true; an id of no webhook of this account is `not_found`. */
  private async deleteWebhook(call: ApiCall, id: unknown): Promise<boolean> {
    if (typeof id !== 'string' && typeof id !== 'number') throw new GraphqlError('deleteWebhook needs id');
    const hook = await call.webhooks.find(String(id));
    if (!hook || hook.account !== this.accountKey(call.token.account)) throw new LightfunnelsError('not_found');
    await call.webhooks.remove(hook.id);
    return true;
  }

  private errors(message: string): SandboxReply {
    return json({ errors: [{ message }] }, 400);
  }

  private root(account: SandboxAccount, hooks: StoredWebhook[]): GraphqlObject {
    return {
      __typename: 'Query',
      webhooks: hooks.map(webhookNode),
      account: {
        __typename: 'Account',
        id: account.userId,
        _id: Number(account.userId),
        name: personName(account.email).first,
        email: account.email,
      },
      orders: (args: Record<string, unknown>) => this.orders(account, args),
    };
  }

  /** `orders(first, after, query)`: the account's three orders, newest first, as a connection. */
  private orders(account: SandboxAccount, args: Record<string, unknown>): GraphqlObject {
    const first = args.first ?? DEFAULT_PAGE;
    if (!Number.isInteger(first) || (first as number) < 1 || (first as number) > MAX_PAGE)
      throw new GraphqlError(`first must be an integer from 1 to ${MAX_PAGE}`);
    const start = args.after === undefined || args.after === null ? 0 : indexOf(args.after) + 1;
    const all = ORDERS.map((order, i) => {
      const _id = numberOf(['lf-order', account.userId, String(i)], 100_000, 900_000);
      return {
        __typename: 'Order',
        id: Buffer.from(`Order:${_id}`).toString('base64'),
        _id,
        name: `#${1003 - i}`,
        email: order.email,
        total: order.total,
        currency: 'USD',
        created_at: FIXED_DATE,
      };
    });
    const page = all.slice(start, start + (first as number));
    const edges = page.map((node, i) => ({ __typename: 'OrderEdge', cursor: cursorOf(start + i), node }));
    return {
      __typename: 'OrderConnection',
      edges,
      pageInfo: {
        __typename: 'PageInfo',
        endCursor: edges.length ? edges[edges.length - 1].cursor : null,
        hasNextPage: start + page.length < all.length,
      },
    };
  }
}

const webhookNode = (hook: StoredWebhook): GraphqlObject => ({
  __typename: 'Webhook',
  id: hook.id,
  _id: Number(hook.id),
  type: hook.events[0],
  url: hook.url,
  version: hook.data.version ?? null,
  settings: hook.data.settings ?? {},
});

/** The `node` of a delivery: the account for the uninstall, an order for order events, else an object id. */
function lightfunnelsNode(
  type: string,
  hook: StoredWebhook,
  event: { id: string; now: Date },
): Record<string, unknown> {
  if (type === UNINSTALLED) return { id: hook.account };
  const _id = numberOf(['lf-event', event.id], 100_000, 900_000);
  const kind = type.split('/')[0];
  if (kind === 'order' || kind === 'payment')
    return {
      id: gid('Order', _id),
      _id,
      account_id: hook.account,
      name: `#${1000 + (_id % 9000)}`,
      email: 'customer@sandbox.example',
      total: 49,
      currency: 'USD',
      created_at: event.now.toISOString(),
    };
  if (kind.startsWith('contact'))
    return { id: gid('Customer', _id), _id, account_id: hook.account, email: 'visitor@sandbox.example' };
  return { id: gid(kind.charAt(0).toUpperCase() + kind.slice(1), _id) };
}
