import Ajv, { ValidateFunction } from 'ajv';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConnectionsClient } from '../../clients/typescript/src';
import type { Connection, ConnectionsClient, ErrorResponse, OperationId } from '../../clients/typescript/src';
import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { simulatorTokens } from '../support/sandbox-flow';

/**
 * The generated client (clients/typescript, from the committed openapi.json) against the real app. Every
 * call goes through `specChecked`, which fails the test when the server answers with a status the spec does
 * not document for that operation, or with a body that does not match the documented schema (undocumented
 * properties included). So a server that drifts from openapi.json, or a client generated from a stale spec,
 * fails here.
 */

interface OpenApiOperation {
  operationId: string;
  /** The proxy's operations: one helper, client.proxy(), instead of a method each. */
  'x-proxy'?: boolean;
  /** For the browser package (the observe channel): not a backend client's method. */
  'x-browser'?: boolean;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
const SPEC = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, unknown> };
};
const OPERATIONS = new Map<string, OpenApiOperation & { method: string; route: string }>(
  Object.entries(SPEC.paths).flatMap(([route, item]) =>
    Object.entries(item)
      .filter(([, op]) => !op['x-proxy'] && !op['x-browser'])
      .map(([method, op]) => [op.operationId, { ...op, method, route }] as const),
  ),
);
const PROXY_METHODS = Object.values(SPEC.paths)
  .flatMap((item) => Object.entries(item).filter(([, op]) => op['x-proxy']))
  .map(([method]) => method.toUpperCase());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An OpenAPI 3.1 schema (JSON Schema; nullable fields are `type: [x, 'null']` or `anyOf` with null) for
 * Ajv: `example` (OpenAPI's own annotation) is dropped, refs point into the registered components, and
 * objects that list their properties are closed (additionalProperties: false unless the spec says
 * otherwise), so an undocumented response field is drift too.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { example: _example, ...rest } = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'properties')
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, s]) => [name, toJsonSchema(s)]),
      );
    else if (key === '$ref')
      out[key] = `openapi.json#/definitions/${String(value).replace('#/components/schemas/', '')}`;
    else if (['items', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf'].includes(key))
      out[key] = toJsonSchema(value);
    else out[key] = value;
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const ajv = new Ajv({ allErrors: true, strictTypes: false });
ajv.addFormat('uuid', UUID);
ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n === (n | 0) });
ajv.addFormat('date-time', {
  type: 'string',
  validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
});
ajv.addSchema({
  $id: 'openapi.json',
  definitions: Object.fromEntries(Object.entries(SPEC.components.schemas).map(([name, s]) => [name, toJsonSchema(s)])),
});
const validators = new Map<string, ValidateFunction>();

/** Every (operationId, status) the suite saw, checked against the spec. */
const seen = new Set<string>();
/** The methods client.proxy() was called with. */
const proxied = new Set<string>();

interface AnyResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** Throws unless `status` and `body` are what openapi.json documents for `operationId`. */
function checkAgainstSpec(operationId: string, result: AnyResult): void {
  const op = OPERATIONS.get(operationId);
  if (!op) throw new Error(`${operationId} is not an operation of openapi.json`);
  const status = result.response.status;
  const documented = op.responses[String(status)];
  if (!documented)
    throw new Error(
      `${operationId} answered ${status}, which openapi.json does not document (documented: ${Object.keys(op.responses).join(', ')})`,
    );
  const body = status < 300 ? result.data : result.error;
  const schema = documented.content?.['application/json']?.schema;
  if (!schema) {
    if (body !== undefined && body !== '' && !(typeof body === 'object' && body && Object.keys(body).length === 0))
      throw new Error(`${operationId} ${status}: openapi.json documents no body, got ${JSON.stringify(body)}`);
  } else {
    expect(result.response.headers.get('content-type')).toMatch(/^application\/json\b/);
    const key = `${operationId} ${status}`;
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile(toJsonSchema(schema) as object);
      validators.set(key, validate);
    }
    if (!validate(body)) {
      const problems = (validate.errors ?? []).map(
        (e) =>
          `body${e.instancePath} ${e.message}${e.keyword === 'additionalProperties' ? `: ${String(e.params.additionalProperty)}` : ''}`,
      );
      throw new Error(
        `${operationId} ${status}: the body does not match openapi.json: ${[...new Set(problems)].join('; ')}\n${JSON.stringify(body, null, 2)}`,
      );
    }
  }
  seen.add(`${operationId} ${status}`);
}

/** The client, with every answer checked against the spec. */
function specChecked(client: ConnectionsClient): ConnectionsClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || typeof value !== 'function' || !OPERATIONS.has(property)) return value;
      return async (...args: unknown[]) => {
        const result = (await value.apply(target, args)) as AnyResult;
        checkAgainstSpec(property, result);
        return result;
      };
    },
  });
}

/** Narrows a result to its error, failing with the body when the call unexpectedly succeeded. */
function errorOf<E>(result: { data?: unknown; error?: E; response: Response }, status: number): E {
  if (result.error === undefined)
    throw new Error(`expected ${status}, got ${result.response.status}: ${JSON.stringify(result.data)}`);
  expect(result.response.status).toBe(status);
  return result.error;
}

/** Narrows a result to its data, failing with the error body otherwise. */
function dataOf<D>(result: { data?: D; error?: unknown; response: Response }, status = 200): D {
  if (result.data === undefined)
    throw new Error(`expected ${status}, got ${result.response.status}: ${JSON.stringify(result.error)}`);
  expect(result.response.status).toBe(status);
  return result.data;
}

function expectError(error: ErrorResponse, response: Response, statusCode: number, code: ErrorResponse['code']): void {
  expect(error).toEqual({
    statusCode,
    code,
    message: expect.any(String),
    requestId: response.headers.get('x-request-id'),
  });
}

describe('generated TypeScript client (clients/typescript) against the real app', () => {
  let t: TestApp;
  let client: ConnectionsClient;

  beforeAll(async () => {
    // A real port, so the sandbox's server-to-server URLs (refresh, whoami, revoke) reach this app; a webhook
    // URL with the dispatcher off, so events stay in the outbox for listWebhookDeliveries.
    t = await startTestApp({
      port: await freePort(),
      env: {
        WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
        WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
        WEBHOOK_DISPATCH_INTERVAL_MS: '0',
      },
    });
    client = specChecked(createConnectionsClient({ baseUrl: t.baseUrl, apiKey: TEST_API_KEY }));
  });
  afterAll(async () => {
    await t.close();
  });

  const importKeap = (ownerId: string, extra: Partial<Parameters<ConnectionsClient['importConnection']>[0]> = {}) =>
    client.importConnection({
      provider: 'keap',
      ownerId,
      accessToken: `at-${ownerId}`,
      refreshToken: `rt-${ownerId}`,
      expiresIn: 86400,
      ...extra,
    });

  async function imported(result: ReturnType<ConnectionsClient['importConnection']>): Promise<Connection> {
    return dataOf(await result, 201);
  }

  describe('spec check (the guard the other tests rely on)', () => {
    const response = (status: number) =>
      new Response(null, { status, headers: { 'content-type': 'application/json' } });
    const connection = {
      id: randomUUID(),
      provider: 'keap',
      ownerId: 'o',
      status: 'active',
      accountId: 'default',
      teamId: null,
      teamName: null,
      workspaceId: null,
      workspaceName: null,
      apiBaseUrl: null,
      scopes: [],
      tokenType: 'Bearer',
      hasRefreshToken: false,
      expiresAt: null,
      refreshTokenExpiresAt: null,
      lastRefreshedAt: null,
      nextRefreshAt: null,
      refreshFailures: 0,
      lastError: null,
      lastVerifiedAt: null,
      revokedAt: null,
      metadata: {},
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };

    it('accepts a documented body and rejects a missing, extra or mistyped field and an undocumented status', () => {
      expect(() => checkAgainstSpec('getConnection', { data: connection, response: response(200) })).not.toThrow();
      const { id: _id, ...withoutId } = connection;
      expect(() => checkAgainstSpec('getConnection', { data: withoutId, response: response(200) })).toThrow(
        /must have required property 'id'/,
      );
      expect(() =>
        checkAgainstSpec('getConnection', { data: { ...connection, refreshToken: 'x' }, response: response(200) }),
      ).toThrow(/must NOT have additional properties/);
      expect(() =>
        checkAgainstSpec('getConnection', { data: { ...connection, status: 'sleeping' }, response: response(200) }),
      ).toThrow(/must be equal to one of the allowed values/);
      expect(() =>
        checkAgainstSpec('getConnection', { data: { ...connection, expiresAt: 'soon' }, response: response(200) }),
      ).toThrow(/format "date-time"/);
      expect(() =>
        checkAgainstSpec('getConnection', {
          data: { ...connection, lastError: { code: 'x', message: 'y', at: new Date().toISOString() } },
          response: response(200),
        }),
      ).not.toThrow();
      expect(() =>
        checkAgainstSpec('getConnection', {
          error: { statusCode: 404, code: 'no_such_code', message: 'm', requestId: 'r' },
          response: response(404),
        }),
      ).toThrow(/allowed values/);
      expect(() =>
        checkAgainstSpec('getConnection', {
          error: { statusCode: 409, code: 'connection_needs_reauth', message: 'm', requestId: 'r' },
          response: response(409),
        }),
      ).toThrow(/does not document/);
      seen.clear();
    });
  });

  it('listProviders: the five sandbox providers with their capabilities', async () => {
    const providers = dataOf(await client.listProviders()).data;
    expect(providers.map((p) => p.name).sort()).toEqual([
      'clickfunnels',
      'clickfunnels-classic',
      'keap',
      'lightfunnels',
      'webflow',
    ]);
    expect(providers.every((p) => p.sandbox)).toBe(true);
    expect(providers.find((p) => p.name === 'keap')?.supports).toMatchObject({ refresh: true });
    expect(providers.find((p) => p.name === 'webflow')?.supports).toMatchObject({ refresh: false, revoke: true });
  });

  it('importConnection: 201 for a new account, 200 with the same id when re-imported; never a token in the body', async () => {
    const first = await importKeap('client-import', { metadata: { plan: 'a' } });
    const created = dataOf(first, 201);
    expect(created).toMatchObject({
      provider: 'keap',
      ownerId: 'client-import',
      accountId: 'default',
      status: 'active',
      hasRefreshToken: true,
      metadata: { plan: 'a' },
    });
    expect(JSON.stringify(created)).not.toContain('at-client-import');
    const again = dataOf(await importKeap('client-import', { accessToken: 'at-client-import-2' }), 200);
    expect(again.id).toBe(created.id);
    const credentials = dataOf(await client.getConnectionCredentials({ id: created.id }));
    expect(credentials.accessToken).toBe('at-client-import-2');
  });

  it('importConnection: a typed 400 validation_failed, carrying the X-Request-Id sent with the call', async () => {
    const result = await client.importConnection(
      { provider: 'keap', ownerId: '', accessToken: 'secret-token' },
      { headers: { 'X-Request-Id': 'client-e2e-400' } },
    );
    const error = errorOf(result, 400);
    expectError(error, result.response, 400, 'validation_failed');
    expect(error.requestId).toBe('client-e2e-400');
    expect(error.message).not.toContain('secret-token');
  });

  it('importConnection: a typed 413 payload_too_large', async () => {
    const result = await client.importConnection({
      provider: 'keap',
      ownerId: 'big',
      accessToken: 'x',
      metadata: { blob: 'x'.repeat(110_000) },
    });
    // The body limit is enforced before routing; the answer still carries the request id.
    expect(errorOf(result, 413)).toEqual({
      statusCode: 413,
      code: 'payload_too_large',
      message: expect.any(String),
      requestId: result.response.headers.get('x-request-id'),
    });
    expect(result.response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('importConnection: a typed 400 provider_not_configured for an unknown provider', async () => {
    const result = await client.importConnection({ provider: 'nope', ownerId: 'x', accessToken: 'y' });
    expectError(errorOf(result, 400), result.response, 400, 'provider_not_configured');
  });

  describe('listConnections', () => {
    const owner = 'client-list-owner';
    const ids: string[] = [];

    beforeAll(async () => {
      for (const account of ['a1', 'a2', 'a3', 'a4', 'a5'])
        ids.push((await imported(importKeap(owner, { accountId: account }))).id);
      await imported(
        client.importConnection({ provider: 'webflow', ownerId: owner, accessToken: 'wf', accountId: 'wf-user' }),
      );
    });

    it('pages through a filtered list with the cursor, newest first, until nextCursor is null', async () => {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = dataOf(await client.listConnections({ ownerId: owner, provider: 'keap', limit: 2, cursor }));
        pages.push(page.data.map((c) => c.id));
        expect(page.data.every((c) => c.provider === 'keap' && c.ownerId === owner)).toBe(true);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual([...ids].reverse());
    });

    it('filters by provider and status', async () => {
      const webflow = dataOf(await client.listConnections({ ownerId: owner, provider: 'webflow' }));
      expect(webflow.data.map((c) => c.accountId)).toEqual(['wf-user']);
      expect(webflow.nextCursor).toBeNull();
      const active = dataOf(await client.listConnections({ ownerId: owner, status: 'active' }));
      expect(active.data).toHaveLength(6);
      const reauth = dataOf(await client.listConnections({ ownerId: owner, status: 'needs_reauth' }));
      expect(reauth.data).toEqual([]);
    });

    it('answers a typed 400 to a bad cursor and to a limit over 100', async () => {
      const badCursor = await client.listConnections({ cursor: 'not-a-cursor' });
      expectError(errorOf(badCursor, 400), badCursor.response, 400, 'invalid_cursor');
      const badLimit = await client.listConnections({ limit: 101 });
      expectError(errorOf(badLimit, 400), badLimit.response, 400, 'validation_failed');
    });
  });

  it('getConnection: the connection, a typed 404 for an unknown id and 400 for a malformed one', async () => {
    const created = await imported(importKeap('client-get'));
    expect(dataOf(await client.getConnection({ id: created.id }))).toEqual(created);
    const missing = await client.getConnection({ id: randomUUID() });
    expectError(errorOf(missing, 404), missing.response, 404, 'connection_not_found');
    const malformed = await client.getConnection({ id: 'not-a-uuid' });
    expectError(errorOf(malformed, 400), malformed.response, 400, 'validation_failed');
  });

  it('updateConnection: replaces the metadata; typed 400 for a non-object and 404 for an unknown id', async () => {
    const created = await imported(importKeap('client-update', { metadata: { plan: 'a', seats: 1 } }));
    const updated = dataOf(await client.updateConnection({ id: created.id }, { metadata: { plan: 'pro' } }));
    expect(updated.metadata).toEqual({ plan: 'pro' });
    expect(dataOf(await client.getConnection({ id: created.id })).metadata).toEqual({ plan: 'pro' });
    const notObject = await client.updateConnection(
      { id: created.id },
      { metadata: [1, 2] as unknown as Record<string, unknown> },
    );
    expectError(errorOf(notObject, 400), notObject.response, 400, 'validation_failed');
    const missing = await client.updateConnection({ id: randomUUID() }, { metadata: {} });
    expectError(errorOf(missing, 404), missing.response, 404, 'connection_not_found');
  });

  describe('getConnectionCredentials', () => {
    it('hands out the stored token with Cache-Control: no-store (forceRefresh=false too)', async () => {
      const created = await imported(
        importKeap('client-creds', { apiBaseUrl: 'https://api.infusionsoft.com/crm/rest' }),
      );
      const result = await client.getConnectionCredentials({ id: created.id });
      expect(dataOf(result)).toEqual({
        accessToken: 'at-client-creds',
        tokenType: 'Bearer',
        expiresAt: created.expiresAt,
        apiBaseUrl: 'https://api.infusionsoft.com/crm/rest',
        scopes: ['full'],
        accountId: 'default',
        version: '1',
      });
      expect(result.response.headers.get('cache-control')).toBe('no-store');
      expect(dataOf(await client.getConnectionCredentials({ id: created.id, forceRefresh: false })).accessToken).toBe(
        'at-client-creds',
      );
    });

    it('forceRefresh=true without a refresh token: typed 400 refresh_not_supported', async () => {
      const webflow = await imported(
        client.importConnection({
          provider: 'webflow',
          ownerId: 'client-creds-wf',
          accessToken: 'wf-token',
          accountId: 'u1',
        }),
      );
      const result = await client.getConnectionCredentials({ id: webflow.id, forceRefresh: true });
      expectError(errorOf(result, 400), result.response, 400, 'refresh_not_supported');
    });

    it('forceRefresh=true with a refresh token the provider does not know: typed 409 connection_needs_reauth, and it stays so', async () => {
      const keap = await imported(importKeap('client-creds-reauth'));
      const result = await client.getConnectionCredentials({ id: keap.id, forceRefresh: true });
      expectError(errorOf(result, 409), result.response, 409, 'connection_needs_reauth');
      expect(dataOf(await client.getConnection({ id: keap.id })).status).toBe('needs_reauth');
      const plain = await client.getConnectionCredentials({ id: keap.id });
      expectError(errorOf(plain, 409), plain.response, 409, 'connection_needs_reauth');
    });

    it('typed 404 for an unknown connection', async () => {
      const result = await client.getConnectionCredentials({ id: randomUUID() });
      expectError(errorOf(result, 404), result.response, 404, 'connection_not_found');
    });
  });

  describe('refreshConnection and verifyConnection (error paths)', () => {
    it('refreshConnection: typed 400 refresh_not_supported for a Webflow import (no refresh token)', async () => {
      const webflow = await imported(
        client.importConnection({
          provider: 'webflow',
          ownerId: 'client-refresh-wf',
          accessToken: 'wf-token',
          accountId: 'u2',
        }),
      );
      const result = await client.refreshConnection({ id: webflow.id });
      expectError(errorOf(result, 400), result.response, 400, 'refresh_not_supported');
    });

    it('refreshConnection: typed 409 connection_needs_reauth when the provider refuses the refresh token', async () => {
      const keap = await imported(importKeap('client-refresh-keap'));
      const result = await client.refreshConnection({ id: keap.id });
      expectError(errorOf(result, 409), result.response, 409, 'connection_needs_reauth');
    });

    it('refreshConnection: typed 404 for an unknown connection', async () => {
      const result = await client.refreshConnection({ id: randomUUID() });
      expectError(errorOf(result, 404), result.response, 404, 'connection_not_found');
    });

    it('verifyConnection: typed 400 verify_not_supported for ClickFunnels Classic', async () => {
      const classic = await imported(
        client.importConnection({
          provider: 'clickfunnels-classic',
          ownerId: 'client-verify-cfc',
          accessToken: 'cfc-token',
        }),
      );
      const result = await client.verifyConnection({ id: classic.id });
      expectError(errorOf(result, 400), result.response, 400, 'verify_not_supported');
    });

    it('verifyConnection: a token the provider rejects marks the connection needs_reauth', async () => {
      const webflow = await imported(
        client.importConnection({
          provider: 'webflow',
          ownerId: 'client-verify-wf',
          accessToken: 'unknown-to-the-sandbox',
          accountId: 'u3',
        }),
      );
      const result = await client.verifyConnection({ id: webflow.id });
      expect(dataOf(result)).toMatchObject({ id: webflow.id, status: 'needs_reauth' });
    });

    it('verifyConnection: typed 404 for an unknown connection', async () => {
      const result = await client.verifyConnection({ id: randomUUID() });
      expectError(errorOf(result, 404), result.response, 404, 'connection_not_found');
    });
  });

  it('createSubscription, listSubscriptions, deleteSubscription: typed 422 where the provider has no events, an empty list, a typed 404', async () => {
    const classic = await imported(
      client.importConnection({ provider: 'clickfunnels-classic', ownerId: 'client-subs-cfc', accessToken: 'cfc' }),
    );
    const refused = await client.createSubscription({ id: classic.id }, { events: ['order.created'] });
    expectError(errorOf(refused, 422), refused.response, 422, 'events_not_supported');
    expect(dataOf(await client.listSubscriptions({ id: classic.id }))).toEqual({ data: [] });
    const unknown = await client.deleteSubscription({ id: classic.id, subscriptionId: randomUUID() });
    expectError(errorOf(unknown, 404), unknown.response, 404, 'subscription_not_found');
  });

  it('deleteConnection: 200 with the revocation outcome, then a typed 404', async () => {
    const keap = await imported(importKeap('client-delete'));
    expect(dataOf(await client.deleteConnection({ id: keap.id }))).toEqual({
      id: keap.id,
      providerRevocation: 'unsupported',
      subscriptions: { removed: 0, queued: 0 },
    });
    const again = await client.deleteConnection({ id: keap.id });
    expectError(errorOf(again, 404), again.response, 404, 'connection_not_found');
    const gone = await client.getConnection({ id: keap.id });
    expectError(errorOf(gone, 404), gone.response, 404, 'connection_not_found');
    const webflow = await imported(
      client.importConnection({
        provider: 'webflow',
        ownerId: 'client-delete-wf',
        accessToken: 'wf-token',
        accountId: 'u4',
      }),
    );
    const deleted = dataOf(await client.deleteConnection({ id: webflow.id }));
    expect(deleted.id).toBe(webflow.id);
    expect(['revoked', 'failed']).toContain(deleted.providerRevocation);
  });

  it('listConnectionActivity: the connection’s entries, newest first (an import is `connected`)', async () => {
    const created = await imported(importKeap('client-activity'));
    const page = dataOf(await client.listConnectionActivity({ id: created.id, limit: 10 }));
    expect(page.data.map((e) => e.type)).toEqual(['connected']);
    const missing = await client.listConnectionActivity({ id: '00000000-0000-4000-8000-000000000000' });
    expectError(errorOf(missing, 404), missing.response, 404, 'connection_not_found');
  });

  describe('createConnectSession', () => {
    it('201 with a one-time link to the authorize route, valid about 10 minutes', async () => {
      const before = Date.now();
      const session = dataOf(
        await client.createConnectSession({
          provider: 'keap',
          ownerId: 'client-session',
          scopes: ['full'],
          returnUrl: `${t.baseUrl}/done`,
          metadata: { from: 'client' },
        }),
        201,
      );
      expect(new URL(session.url).pathname).toBe('/oauth/keap/authorize');
      expect(new URL(session.url).searchParams.get('session')).toBeTruthy();
      expect(Date.parse(session.expiresAt) - before).toBeGreaterThan(9 * 60_000);
      expect(Date.parse(session.expiresAt) - before).toBeLessThanOrEqual(10 * 60_000 + 5_000);
      // getConnectSession: what a backend reads to confirm what a browser says.
      expect(dataOf(await client.getConnectSession({ id: session.id }))).toEqual({
        id: session.id,
        status: 'pending',
        provider: 'keap',
        expiresAt: session.expiresAt,
      });
      const missing = await client.getConnectSession({ id: '00000000-0000-4000-8000-000000000000' });
      expectError(errorOf(missing, 404), missing.response, 404, 'connect_session_not_found');
    });

    it('typed 400s: return_url_not_allowed and provider_not_configured', async () => {
      const foreign = await client.createConnectSession({
        provider: 'keap',
        ownerId: 'client-session',
        returnUrl: 'https://evil.example/steal',
      });
      expectError(errorOf(foreign, 400), foreign.response, 400, 'return_url_not_allowed');
      const unknown = await client.createConnectSession({ provider: 'nope', ownerId: 'client-session' });
      expectError(errorOf(unknown, 400), unknown.response, 400, 'provider_not_configured');
    });
  });

  describe('webhook deliveries', () => {
    it('listWebhookDeliveries: the outbox, filtered and paged; redeliverWebhook: 200, then a typed 404 for an unknown id', async () => {
      const created = await imported(importKeap('client-webhooks'));
      const pending = dataOf(await client.listWebhookDeliveries({ status: 'pending', limit: 100 }));
      const mine = pending.data.filter((d) => d.connectionId === created.id);
      expect(mine.map((d) => d.eventType)).toContain('connection.created');
      expect(mine.every((d) => d.status === 'pending')).toBe(true);
      const first = dataOf(await client.listWebhookDeliveries({ limit: 1 }));
      expect(first.data).toHaveLength(1);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = dataOf(await client.listWebhookDeliveries({ limit: 1, cursor: first.nextCursor ?? undefined }));
      expect(second.data[0].id).not.toBe(first.data[0].id);

      const redelivered = dataOf(await client.redeliverWebhook({ id: mine[0].id }));
      expect(redelivered).toMatchObject({ id: mine[0].id, status: 'pending' });
      const missing = await client.redeliverWebhook({ id: randomUUID() });
      expectError(errorOf(missing, 404), missing.response, 404, 'webhook_delivery_not_found');
      const badStatus = await client.listWebhookDeliveries({ status: 'lost' as 'pending' });
      expectError(errorOf(badStatus, 400), badStatus.response, 400, 'validation_failed');
    });
  });

  it('the README example: a backend gets fresh credentials in five lines', async () => {
    const { id: connectionId } = await imported(importKeap('client-readme'));
    const connections = createConnectionsClient({ baseUrl: t.baseUrl, apiKey: TEST_API_KEY });
    const { data: creds, error } = await connections.getConnectionCredentials({ id: connectionId });
    if (error) throw new Error(`${error.code}: ${error.message} (request ${error.requestId})`);
    expect({ Authorization: `${creds.tokenType} ${creds.accessToken}` }).toEqual({
      Authorization: 'Bearer at-client-readme',
    });
  });

  it('getLiveness and getReadiness answer 200 "ok", without an API key as well', async () => {
    expect(dataOf(await client.getLiveness()).status).toBe('ok');
    expect(dataOf(await client.getReadiness())).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    const anonymous = specChecked(createConnectionsClient({ baseUrl: t.baseUrl, apiKey: '' }));
    expect(dataOf(await anonymous.getReadiness()).status).toBe('ok');
  });

  it('a wrong API key gets a typed 401 unauthorized', async () => {
    const wrong = specChecked(createConnectionsClient({ baseUrl: t.baseUrl, apiKey: 'wrong-key-wrong-key-wrong-key' }));
    const result = await wrong.listConnections();
    expectError(errorOf(result, 401), result.response, 401, 'unauthorized');
    const providers = await wrong.listProviders();
    expectError(errorOf(providers, 401), providers.response, 401, 'unauthorized');
  });

  it('createApiKey, listApiKeys, revokeApiKey: a scoped key made, listed, refused where its scope ends (typed 403), revoked', async () => {
    const made = dataOf(await client.createApiKey({ name: 'client-reader', scopes: ['connections:read'] }), 201);
    expect(made).toMatchObject({ name: 'client-reader', scopes: ['connections:read'], source: 'api' });
    expect(made.key).toMatch(/^ock_/);
    const listed = dataOf(await client.listApiKeys({ includeRevoked: 'true' })).data;
    expect(listed.map((k) => k.id)).toEqual(expect.arrayContaining(['env-1', made.id]));
    const reader = specChecked(createConnectionsClient({ baseUrl: t.baseUrl, apiKey: made.key }));
    expect(dataOf(await reader.listConnections()).data).toEqual(expect.any(Array));
    const refused = await reader.getConnectionCredentials({ id: randomUUID() });
    const error = errorOf(refused, 403);
    expect(error).toEqual({
      statusCode: 403,
      code: 'insufficient_scope',
      message: expect.any(String),
      requestId: refused.response.headers.get('x-request-id'),
      requiredScope: 'credentials:read',
    });
    const bad = await client.createApiKey({ name: 'x', scopes: ['everything' as 'admin'] });
    expectError(errorOf(bad, 400), bad.response, 400, 'validation_failed');
    const revoked = dataOf(await client.revokeApiKey({ id: made.id }));
    expect(revoked.revokedAt).toEqual(expect.any(String));
    const again = await client.revokeApiKey({ id: made.id });
    expectError(errorOf(again, 404), again.response, 404, 'api_key_not_found');
    const fromEnv = await client.revokeApiKey({ id: 'env-1' });
    expectError(errorOf(fromEnv, 409), fromEnv.response, 409, 'api_key_from_environment');
    const gone = await reader.listConnections();
    expectError(errorOf(gone, 401), gone.response, 401, 'unauthorized');
  });

  it("proxy(): GET and POST on the sandbox Keap API with the connection's token; the service's own errors tell themselves apart", async () => {
    const tokens = await simulatorTokens(t, 'keap', `${t.baseUrl}/oauth/keap/callback`, 'client-proxy');
    const { id } = await imported(
      client.importConnection({
        provider: 'keap',
        ownerId: 'client-proxy',
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token as string,
        expiresIn: 3600,
      }),
    );
    const proxyClient = createConnectionsClient({ baseUrl: t.baseUrl, apiKey: TEST_API_KEY });
    const created = await proxyClient.proxy(id, 'contacts', {
      method: 'POST',
      body: { given_name: 'Ada', email_addresses: [{ email: 'ada@example.com', field: 'EMAIL1' }] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('proxy-status')).toBe('oauth-connections; received-status=201');
    const listed = await proxyClient.proxy(id, '/contacts', { query: { limit: 50 } });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { contacts: { given_name?: string }[] };
    expect(body.contacts.map((c) => c.given_name)).toContain('Ada');
    for (const method of ['HEAD', 'PUT', 'PATCH', 'DELETE'] as const) {
      // The simulator serves no such route: its 404 comes back, marked as the provider's.
      const res = await proxyClient.proxy(id, 'contacts/1', { method, body: method === 'HEAD' ? undefined : {} });
      expect([method, res.status, res.headers.get('proxy-status')]).toEqual([
        method,
        404,
        'oauth-connections; received-status=404',
      ]);
      proxied.add(method);
    }
    proxied.add('GET').add('POST');
    const unknown = await proxyClient.proxy(randomUUID(), 'contacts');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('proxy-status')).toBeNull();
    expect(((await unknown.json()) as ErrorResponse).code).toBe('connection_not_found');
  });

  it('exercised every operation of openapi.json through the client', () => {
    expect([...proxied].sort()).toEqual([...PROXY_METHODS].sort());
    const called = new Set([...seen].map((s) => s.split(' ')[0]));
    expect([...OPERATIONS.keys()].filter((id) => !called.has(id)).sort()).toEqual([]);
    // OPERATIONS leaves out the proxy's (one helper) and the browser's (x-browser) operations.
    const operationIds = [...OPERATIONS.keys()] as Exclude<OperationId, `proxy${string}` | 'observeConnectSession'>[];
    expect(operationIds.every((id) => typeof client[id] === 'function')).toBe(true);
  });
});
