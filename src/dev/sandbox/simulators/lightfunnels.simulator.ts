import type { FastifyRequest } from 'fastify';
import { emailOf, FIXED_DATE, numberOf, personName } from './accounts';
import { executeGraphql, GraphqlError, GraphqlObject, rootFields } from './graphql';
import { ApiCall, ApiRoute, IssuedTokens, SandboxAccount, SimulatorBase, WireRules } from './simulator';
import { basicCredentials, BodyFormat, invalidRequest, json, jsonObject, SandboxReply } from './wire';

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

  /** `POST /` with `{query, variables?}`: `{data}`, or `{errors}` (400) for what the sandbox cannot answer. */
  private graphql(call: ApiCall): SandboxReply {
    const body = jsonObject(call.format, call.body);
    const query = body?.query;
    if (typeof query !== 'string' || !query.trim()) return this.errors('Expected a JSON body {query}');
    const variables = jsonObject('json', body?.variables) ?? {};
    try {
      return json({ data: executeGraphql(query, variables, this.root(call.token.account)) });
    } catch (e) {
      if (e instanceof GraphqlError) return this.errors(e.message);
      throw e;
    }
  }

  private errors(message: string): SandboxReply {
    return json({ errors: [{ message }] }, 400);
  }

  private root(account: SandboxAccount): GraphqlObject {
    return {
      __typename: 'Query',
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
