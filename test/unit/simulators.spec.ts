import { SEED_PROVIDERS } from '../../src/providers/providers.config';
import { normalizeSeed } from '../../src/dev/sandbox/simulators/accounts';
import { executeGraphql, GraphqlError, rootFields } from '../../src/dev/sandbox/simulators/graphql';
import { SANDBOX_SIMULATORS, simulatorFor } from '../../src/dev/sandbox/simulators/registry';
import { matchRoute } from '../../src/dev/sandbox/simulators/routes';
import {
  ApiCall,
  ApiRoute,
  ProviderSimulator,
  SandboxAccount,
  SandboxRecords,
  SimulatorBase,
  StoredRecord,
  TokenProblem,
} from '../../src/dev/sandbox/simulators/simulator';
import { AuthorizeRefused, Params, SandboxError } from '../../src/dev/sandbox/simulators/wire';
import { memoryWebhooks } from '../support/sandbox-memory';

/** The simulators without the app: the registry, each simulator against the interface, and their parts. */

const entries = Object.entries<ProviderSimulator>(SANDBOX_SIMULATORS);
const PROBLEMS: TokenProblem[] = ['missing', 'unknown', 'expired', 'revoked', 'simulated'];

function memoryRecords(): SandboxRecords {
  const rows: Array<StoredRecord & { kind: string; owner: string }> = [];
  return {
    create: async (kind, owner, data) => {
      const row = { id: rows.length + 1, kind, owner, data, createdAt: new Date() };
      rows.push(row);
      return row;
    },
    list: async (kind, owner, page) => {
      const mine = rows.filter((r) => r.kind === kind && r.owner === owner);
      const after = mine.filter((r) => page.afterId === undefined || r.id > page.afterId);
      const from = page.offset ?? 0;
      return { items: after.slice(from, from + page.limit), total: mine.length };
    },
  };
}

/** A call of `route` as the API service makes it, with a token of `account`. */
function callOf(simulator: ProviderSimulator, route: ApiRoute, account: SandboxAccount, body?: unknown): ApiCall {
  const params: Record<string, string> = {};
  for (const part of route.path.split('/'))
    if (part.startsWith(':')) params[part.slice(1)] = String(account.workspaceId ?? account.userId);
  return {
    token: {
      grantId: '00000000-0000-4000-8000-000000000000',
      account: simulator.accountAtIssue(account, 'http://127.0.0.1:4000'),
      scope: '',
      createdAt: new Date(),
    },
    params,
    query: Params.of({}),
    body,
    format: body === undefined ? 'none' : 'json',
    origin: 'http://127.0.0.1:4000',
    records: memoryRecords(),
    webhooks: memoryWebhooks(),
  };
}

describe('the simulator registry', () => {
  it('has exactly the five built-in providers, each simulator under its own name', () => {
    expect(Object.keys(SANDBOX_SIMULATORS).sort()).toEqual([
      'clickfunnels',
      'clickfunnels-classic',
      'keap',
      'lightfunnels',
      'webflow',
    ]);
    for (const [key, simulator] of entries) {
      expect(simulator.name).toBe(key);
      expect(simulator).toBeInstanceOf(SimulatorBase);
      expect(simulatorFor(key)).toBe(simulator);
    }
    expect(Object.isFrozen(SANDBOX_SIMULATORS)).toBe(true);
  });

  it('matches the service’s built-in providers: names, display names and capabilities', () => {
    expect(SEED_PROVIDERS.map((p) => p.name).sort()).toEqual(Object.keys(SANDBOX_SIMULATORS).sort());
    for (const spec of SEED_PROVIDERS) {
      const simulator = simulatorFor(spec.name)!;
      expect({ name: spec.name, displayName: simulator.displayName }).toEqual({
        name: spec.name,
        displayName: spec.displayName,
      });
      expect({ name: spec.name, revoke: simulator.revoke !== null }).toEqual({
        name: spec.name,
        revoke: spec.supports.revoke,
      });
      expect({ name: spec.name, pkce: simulator.wire.pkce }).toEqual({ name: spec.name, pkce: spec.supports.pkce });
      expect({ name: spec.name, refresh: simulator.wire.grantTypes.includes('refresh_token') }).toEqual({
        name: spec.name,
        refresh: spec.supports.refresh,
      });
    }
  });

  it('knows nothing else, not even object keys', () => {
    for (const name of ['acme', '', 'toString', '__proto__', 'constructor', 'KEAP'])
      expect(simulatorFor(name)).toBeUndefined();
  });
});

describe.each(entries)('the %s simulator', (name, simulator) => {
  it('has the sandbox client and consistent wire rules', () => {
    expect(simulator.clientId).toBe(`sandbox-${name}`);
    expect(simulator.clientSecret).toBe(`sandbox-secret-${name}`);
    const wire = simulator.wire;
    expect(wire.tokenBody.json || wire.tokenBody.form).toBe(true);
    expect(wire.clientAuth.length).toBeGreaterThan(0);
    for (const auth of wire.clientAuth) expect(['body', 'basic']).toContain(auth);
    expect(wire.grantTypes).toContain('authorization_code');
    expect(wire.scopeSeparator.length).toBeGreaterThan(0);
    for (const ttl of [wire.accessTokenTtlSeconds, wire.refreshTokenTtlSeconds])
      expect(ttl === null || (Number.isInteger(ttl) && ttl > 0)).toBe(true);
    if (!wire.grantTypes.includes('refresh_token')) expect(wire.refreshTokenTtlSeconds).toBeNull();
    if (simulator.revoke) {
      expect(simulator.revoke.clientAuth.length).toBeGreaterThan(0);
      expect(simulator.revoke.tokenParam).toMatch(/^[a-z_]+$/);
      expect(typeof simulator.revoke.answer).toBe('object');
    }
  });

  it('maps an account name to the same account every time, and another name to another', () => {
    const seed = normalizeSeed('Alice Example');
    const account = simulator.account(seed);
    expect(simulator.account(seed)).toEqual(account);
    expect(account.email).toBe('alice-example@sandbox.example');
    expect(account.userId).toMatch(/^\S+$/);
    expect(simulator.account('bob').userId).not.toBe(account.userId);
    const lines = simulator.describeAccount(account);
    expect(lines[0]).toEqual(['User', account.email]);
    for (const line of lines) expect(line).toEqual([expect.any(String), expect.any(String)]);
  });

  it('answers the token endpoint with the access token, and a refresh token only where it refreshes', () => {
    const account = simulator.accountAtIssue(simulator.account('demo'), 'http://127.0.0.1:4000');
    const refreshes = simulator.wire.grantTypes.includes('refresh_token');
    const issued = { grantId: 'g', accessToken: 'at', ...(refreshes && { refreshToken: 'rt' }) };
    const body = simulator.tokenResponse(issued, account, 'scope');
    expect(body.access_token).toBe('at');
    expect(body.refresh_token).toBe(refreshes ? 'rt' : undefined);
    expect(JSON.parse(JSON.stringify(body))).toEqual(expect.objectContaining({ access_token: 'at' }));
  });

  it('has an API: unique routes with relative paths, one of them the whoami', () => {
    expect(simulator.api.length).toBeGreaterThan(0);
    const keys = simulator.api.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const route of simulator.api) {
      expect(['GET', 'POST', 'DELETE']).toContain(route.method);
      expect(route.path).toMatch(/^(|[a-z_]+|:[a-z]+)(\/([a-z_]+|:[a-z]+))*$/);
      expect(typeof route.handle).toBe('function');
      expect(matchRoute(simulator.api, route.method, route.path.replace(/:[a-z]+/g, '1'))?.route).toBe(route);
    }
    expect(simulator.api.some((r) => r.whoami)).toBe(true);
  });

  it('answers its API’s GET routes with JSON for a valid token', async () => {
    const account = simulator.account('demo');
    // Routes naming one webhook or site need it to exist: test/unit/simulator-webhooks.spec.ts.
    for (const route of simulator.api.filter(
      (r) => r.method === 'GET' && !/:(endpoint|key|webhook|site)\b/.test(r.path),
    )) {
      const reply = await route.handle(callOf(simulator, route, account));
      expect({ route: route.path, status: reply.status }).toEqual({ route: route.path, status: 200 });
      expect(reply.json).toBeDefined();
    }
  });

  it('refuses a token with 401 invalid_token and a WWW-Authenticate header, and rate-limits with Retry-After', () => {
    for (const problem of PROBLEMS) {
      const reply = simulator.unauthorized(problem);
      expect(reply.status).toBe(401);
      expect(reply.json).toMatchObject({ error: 'invalid_token', error_description: expect.any(String) });
      expect(reply.headers?.['WWW-Authenticate']).toBe('Bearer error="invalid_token"');
    }
    expect(simulator.unauthorized('expired').json).not.toEqual(simulator.unauthorized('revoked').json);
    const limited = simulator.rateLimited('9');
    expect(limited.status).toBe(429);
    expect(limited.headers).toEqual({ 'Retry-After': '9' });
    expect(typeof limited.json).toBe('object');
  });
});

describe('provider quirks', () => {
  const { keap, clickfunnels, lightfunnels, webflow } = SANDBOX_SIMULATORS;
  const cfAuthorize = { new_installation: 'true', grant_type: 'authorization_code' };

  it('Keap accepts only scope=full and names the app in the token answer’s scope', () => {
    expect(() => keap.checkAuthorize(Params.of({}), 'full')).not.toThrow();
    expect(() => keap.checkAuthorize(Params.of({}), 'read')).toThrow(AuthorizeRefused);
    const account = keap.account('acme corp');
    expect(keap.tokenResponse({ grantId: 'g', accessToken: 'a', refreshToken: 'r' }, account, 'full').scope).toBe(
      'full|abacmecorp.infusionsoft.com',
    );
  });

  it('ClickFunnels wants new_installation and grant_type on the authorize URL, grants admin read, names its workspace URL', () => {
    expect(() => clickfunnels.checkAuthorize(Params.of(cfAuthorize), '')).not.toThrow();
    expect(() => clickfunnels.checkAuthorize(Params.of({ ...cfAuthorize, new_installation: 'false' }), '')).toThrow(
      /new_installation/,
    );
    expect(() => clickfunnels.checkAuthorize(Params.of({ new_installation: 'true' }), '')).toThrow(/grant_type/);
    expect(clickfunnels.grantedScope('')).toBe('admin read');
    expect(keap.grantedScope('full')).toBe('full');
    const account = clickfunnels.accountAtIssue(clickfunnels.account('acme/shop'), 'http://127.0.0.1:4000');
    expect(account.workspaceUrl).toBe(
      `http://127.0.0.1:4000/sandbox/clickfunnels/api/workspaces/${account.workspaceId}`,
    );
  });

  it('ClickFunnels blocks API calls without a User-Agent', () => {
    expect(() => clickfunnels.checkApiRequest({ headers: {} })).toThrow(SandboxError);
    expect(() => clickfunnels.checkApiRequest({ headers: { 'user-agent': 'x' } })).not.toThrow();
    expect(() => keap.checkApiRequest({ headers: {} })).not.toThrow();
  });

  it('redirect_uri at the token step: required and equal (RFC 6749), Webflow only when authorized with one, Lightfunnels never', () => {
    const error = (f: () => void) => {
      try {
        f();
        return null;
      } catch (e) {
        return (e as SandboxError).error;
      }
    };
    expect(error(() => keap.checkRedirectUri('https://a/cb', 'https://a/cb'))).toBeNull();
    expect(error(() => keap.checkRedirectUri('https://a/cb', undefined))).toBe('invalid_request');
    expect(error(() => keap.checkRedirectUri('https://a/cb', 'https://a/other'))).toBe('invalid_grant');
    expect(error(() => webflow.checkRedirectUri(null, undefined))).toBeNull();
    expect(error(() => webflow.checkRedirectUri('https://a/cb', undefined))).toBe('invalid_grant');
    expect(error(() => webflow.checkRedirectUri('https://a/cb', 'https://a/cb'))).toBeNull();
    expect(error(() => lightfunnels.checkRedirectUri('https://a/cb', 'https://elsewhere'))).toBeNull();
  });

  it('Lightfunnels takes a form token body only with HTTP Basic client auth', () => {
    const basic = { authorization: `Basic ${Buffer.from('id:secret').toString('base64')}` };
    expect(() => lightfunnels.checkTokenRequest({ headers: {} }, 'form')).toThrow(/HTTP Basic/);
    expect(() => lightfunnels.checkTokenRequest({ headers: basic }, 'form')).not.toThrow();
    expect(() => lightfunnels.checkTokenRequest({ headers: {} }, 'json')).not.toThrow();
  });

  it('the Lightfunnels whoami is the account query alone', () => {
    const [route] = lightfunnels.api;
    const whoami = route.whoami as (body: unknown) => boolean;
    expect(whoami({ query: '{ account { id } }' })).toBe(true);
    expect(whoami({ query: 'query { account { id name } }' })).toBe(true);
    expect(whoami({ query: '{ account { id } orders(first: 1) { edges { node { id } } } }' })).toBe(false);
    expect(whoami({ query: '{ account { id ' })).toBe(false);
    expect(whoami(undefined)).toBe(false);
  });

  it('Keap and ClickFunnels create contacts a list then returns, per Keap app and per workspace', async () => {
    const post = (simulator: ProviderSimulator, path: string) =>
      simulator.api.find((r) => r.method === 'POST' && r.path === path)!;
    const get = (simulator: ProviderSimulator, path: string) =>
      simulator.api.find((r) => r.method === 'GET' && r.path === path)!;
    const keapCall = callOf(keap, post(keap, 'contacts'), keap.account('demo'), {
      email_addresses: [{ email: 'a@example.com', field: 'EMAIL1' }],
    });
    const created = await post(keap, 'contacts').handle(keapCall);
    expect(created.status).toBe(201);
    const listed = await get(keap, 'contacts').handle({ ...keapCall, body: undefined, format: 'none' });
    expect(listed.json).toMatchObject({ contacts: [created.json], count: 1 });

    const cf = clickfunnels.account('acme/shop');
    const cfCall = callOf(clickfunnels, post(clickfunnels, 'workspaces/:id/contacts'), cf, {
      contact: { email_address: 'b@example.com' },
    });
    const cfCreated = await post(clickfunnels, 'workspaces/:id/contacts').handle(cfCall);
    expect(cfCreated).toMatchObject({
      status: 201,
      json: { email_address: 'b@example.com', workspace_id: cf.workspaceId },
    });
    const cfListed = await get(clickfunnels, 'workspaces/:id/contacts').handle({ ...cfCall, body: undefined });
    expect(cfListed.json).toEqual([cfCreated.json]);
  });
});

describe('API routing', () => {
  const handle = () => ({ status: 200 });
  const routes: ApiRoute[] = [
    { method: 'GET', path: '', handle },
    { method: 'GET', path: 'teams', handle },
    { method: 'GET', path: 'workspaces/:id', handle },
    { method: 'POST', path: 'workspaces/:id/contacts', handle },
  ];

  it('matches literal segments case-insensitively, takes parameters as given, ignores a trailing slash', () => {
    expect(matchRoute(routes, 'GET', 'Teams/')?.route).toBe(routes[1]);
    expect(matchRoute(routes, 'GET', 'workspaces/AbC')).toEqual({ route: routes[2], params: { id: 'AbC' } });
    expect(matchRoute(routes, 'POST', '/workspaces/7/contacts')).toEqual({ route: routes[3], params: { id: '7' } });
    expect(matchRoute(routes, 'GET', '')?.route).toBe(routes[0]);
  });

  it('answers HEAD like GET; another method, an extra or empty segment match nothing', () => {
    expect(matchRoute(routes, 'HEAD', 'teams')?.route).toBe(routes[1]);
    expect(matchRoute(routes, 'POST', 'teams')).toBeNull();
    expect(matchRoute(routes, 'GET', 'teams/1')).toBeNull();
    expect(matchRoute(routes, 'GET', 'workspaces//')).toBeNull();
    expect(matchRoute(routes, 'POST', 'workspaces//contacts')).toBeNull();
  });
});

describe('the GraphQL subset (Lightfunnels)', () => {
  const root = {
    __typename: 'Query',
    account: { __typename: 'Account', id: '7', name: 'Shop' },
    items: (args: Record<string, unknown>) =>
      [1, 2, 3].slice(0, (args.first as number) ?? 3).map((n) => ({ __typename: 'Item', n })),
  };
  const run = (query: string, variables: Record<string, unknown> = {}) => executeGraphql(query, variables, root);

  it('answers exactly the selected fields, with aliases, arguments, variables and __typename', () => {
    expect(run('{ account { id } }')).toEqual({ account: { id: '7' } });
    expect(run('query Q { me: account { __typename name } }')).toEqual({ me: { __typename: 'Account', name: 'Shop' } });
    expect(run('query ($k: Int = 2) { items(first: $k) { n } } # comment', { k: 2 })).toEqual({
      items: [{ n: 1 }, { n: 2 }],
    });
    expect(run('{ items(first: 1) { n }, account { id } }')).toEqual({ items: [{ n: 1 }], account: { id: '7' } });
  });

  it('refuses unknown fields, missing or extra selections, syntax errors and other operations', () => {
    for (const query of [
      '{ account { secret } }',
      '{ nothing }',
      '{ account }',
      '{ account { id { x } } }',
      '{ account { id }',
      '{ account { id } } { account { id } }',
      'mutation { account { id } }',
      '{ ...F }',
      '{ account @skip(if: true) { id } }',
      '{ account { id } ~ }',
    ])
      expect(() => run(query)).toThrow(GraphqlError);
  });

  it('names the root fields of a query, or null when it does not parse', () => {
    expect(rootFields('query { account { id } orders { x } }')).toEqual(['account', 'orders']);
    expect(rootFields('{ account { id }')).toBeNull();
  });
});
