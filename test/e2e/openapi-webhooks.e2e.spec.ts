import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConnectionChange } from '../../src/connections/connection-changes';
import { ConnectionStatus } from '../../src/connections/connection-status';
import { ConnectionEntity } from '../../src/connections/connection.entity';
import { freePort } from '../../src/database/embedded-postgres';
import { simulatorFor } from '../../src/dev/sandbox/simulators/registry';
import { eventOf, eventPayload } from '../../src/events/connection-events';
import { WEBHOOK_EVENTS, WebhookEvent } from '../../src/webhooks/webhook-delivery.entity';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher';
import { startTestApp, TestApp } from '../support/app';
import { FakeProvider, RecordedRequest } from '../support/fake-provider';
import { rawRequest } from '../support/raw-http';
import { addFault, connectThroughSandbox } from '../support/sandbox-flow';

/**
 * The outbound webhooks openapi.json documents (`webhooks`, OpenAPI 3.1) are what the service sends: a
 * real delivery of every event type, caught by a receiver, has the documented headers and a body the
 * documented schema accepts, with no undocumented field; and the service's own payload builder
 * (connection-events.ts) gives such bodies in every variant (with and without error and revokedAt).
 */

interface Parameter {
  $ref?: string;
  name: string;
  in: string;
  required?: boolean;
  schema: object;
}
interface WebhookOperation {
  parameters: Parameter[];
  requestBody: { content: Record<string, { schema: { $ref: string } }> };
}
const SPEC = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'openapi.json'), 'utf8')) as {
  openapi: string;
  webhooks: Record<string, { post: WebhookOperation }>;
  components: { schemas: Record<string, unknown>; parameters: Record<string, Parameter> };
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A schema of openapi.json as Ajv reads it: 3.1 schemas are JSON Schema 2020-12 already; refs point
 * into the registered components, and objects that list their properties are closed here (the
 * document leaves them open for receivers), so a field the service sends undocumented fails.
 */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties')
      out[key] = Object.fromEntries(Object.entries(value as object).map(([name, s]) => [name, closed(s)]));
    else if (key === '$ref') out[key] = `openapi.json#/$defs/${String(value).replace('#/components/schemas/', '')}`;
    else if (key === 'example' || key === 'enum') out[key] = value;
    else out[key] = closed(value);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
// OpenAPI's own annotation (3.1 keeps it beside JSON Schema's `examples`).
ajv.addKeyword('example');
ajv.addFormat('uuid', UUID);
ajv.addFormat('date-time', {
  type: 'string',
  validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
});
ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n === (n | 0) });
ajv.addFormat('binary', true);
ajv.addSchema({
  $id: 'openapi.json',
  $defs: Object.fromEntries(Object.entries(SPEC.components.schemas).map(([name, s]) => [name, closed(s)])),
});

const validators = new Map<string, ValidateFunction>();
function validatorOf(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(closed(schema) as object);
    validators.set(key, validate);
  }
  return validate;
}

/** The problems of `value` against `schema` (none: it matches). */
function problems(schema: unknown, value: unknown): string[] {
  const validate = validatorOf(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${e.instancePath || '/'} ${e.message}${e.keyword === 'additionalProperties' ? `: ${String(e.params.additionalProperty)}` : ''}`,
  );
}

const parameterOf = (p: Parameter): Parameter =>
  p.$ref ? SPEC.components.parameters[p.$ref.replace('#/components/parameters/', '')] : p;

/** What openapi.json documents for one event type: its body schema and header parameters. */
function documented(type: string): { body: unknown; headers: Parameter[] } {
  const operation = SPEC.webhooks[type]?.post;
  if (!operation) throw new Error(`openapi.json documents no webhook ${type}`);
  return {
    body: operation.requestBody.content['application/json'].schema,
    headers: operation.parameters.map(parameterOf).filter((p) => p.in === 'header'),
  };
}

/** Every way a real request differs from what openapi.json documents for its event type. */
function differences(req: RecordedRequest): string[] {
  const body = JSON.parse(req.rawBody) as { type: string };
  const { body: schema, headers } = documented(body.type);
  const found = problems(schema, body).map((p) => `${body.type} body ${p}`);
  expect(req.headers['content-type']).toMatch(/^application\/json\b/);
  for (const header of headers) {
    const value = req.headers[header.name];
    if (value === undefined) {
      if (header.required) found.push(`${body.type}: header ${header.name} missing`);
      continue;
    }
    found.push(...problems(header.schema, value).map((p) => `${body.type} header ${header.name} ${p}`));
  }
  return found;
}

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const CLICKFUNNELS_APP_SECRET = 'openapi-webhooks-cf-app-secret';

describe('openapi.json webhooks: real deliveries match the documented headers and bodies', () => {
  const receiver = new FakeProvider();
  let t: TestApp;
  let sent: RecordedRequest[];

  /** A subscription row and its URL token (as the subscriptions API writes them). */
  async function subscription(provider: string, connectionId: string, events: string[]): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await t.dataSource.query(
      `INSERT INTO event_subscriptions (id, connection_id, provider, events, status, token_hash)
       VALUES ($1, $2, $3, $4, 'active', $5)`,
      [randomUUID(), connectionId, provider, events, createHash('sha256').update(token).digest('hex')],
    );
    return token;
  }
  const imported = async (provider: string, ownerId: string, accountId: string): Promise<string> =>
    (
      await t.api
        .post('/connections')
        .send({ provider, ownerId, accountId, accessToken: `at-${ownerId}` })
        .expect(201)
    ).body.id as string;

  beforeAll(async () => {
    await receiver.start();
    receiver.on('POST', '/hooks', { status: 204 });
    t = await startTestApp({
      port: await freePort(),
      env: {
        WEBHOOK_URL: `${receiver.url}/hooks`,
        // Two secrets (a rotation): the signature header lists two signatures.
        WEBHOOK_SECRET: `${secret()} ${secret()}`,
        WEBHOOK_DISPATCH_INTERVAL_MS: '0',
        REFRESH_MAX_FAILURES: '1',
        CLICKFUNNELS_APP_WEBHOOK_SECRET: CLICKFUNNELS_APP_SECRET,
      },
    });

    // connection.created, connection.reconnected, needs_reauth, refresh_failed, deleted (with an error).
    const a = await connectThroughSandbox(t, 'keap', 'openapi-wh-a');
    await connectThroughSandbox(t, 'keap', 'openapi-wh-a');
    await addFault(t, 'keap', { endpoint: 'refresh', kind: 'invalid_grant' });
    await t.api.post(`/connections/${a}/refresh`).expect(409);
    const b = await connectThroughSandbox(t, 'keap', 'openapi-wh-b');
    await addFault(t, 'keap', { endpoint: 'refresh', kind: 'status_500' });
    await t.api.post(`/connections/${b}/refresh`).expect(502);
    await t.api.delete(`/connections/${b}`).expect(200);

    // A Lightfunnels uninstall: provider.event and connection.revoked; then the revoked connection is
    // deleted (connection.deleted with revokedAt).
    const lf = await imported('lightfunnels', 'openapi-wh-lf', 'lf-openapi-acct');
    const lfToken = await subscription('lightfunnels', lf, ['app/uninstalled']);
    const uninstall = JSON.stringify({ node: { id: 'lf-openapi-acct' } });
    const lfSecret = simulatorFor('lightfunnels')!.clientSecret;
    const lfAnswer = await rawRequest(
      t.baseUrl,
      'POST',
      `/events/lightfunnels/${lfToken}`,
      {
        'content-type': 'application/json',
        'lightfunnels-hmac': createHmac('sha256', lfSecret).update(uninstall).digest('base64'),
      },
      uninstall,
    );
    expect(lfAnswer.status).toBe(200);
    await t.api.delete(`/connections/${lf}`).expect(200);

    // Keap signs nothing (the URL token is the proof) and a body may be any JSON: an array here.
    const keap = await imported('keap', 'openapi-wh-keap', 'keap-openapi-acct');
    const keapToken = await subscription('keap', keap, ['contact.add']);
    const keapAnswer = await rawRequest(
      t.baseUrl,
      'POST',
      `/events/keap/${keapToken}`,
      { 'content-type': 'application/json' },
      JSON.stringify([{ id: 7 }]),
    );
    expect(keapAnswer.status).toBe(200);

    // An app-level ClickFunnels event for a workspace nobody connected: connection, owner and
    // subscription are null.
    const disconnect = JSON.stringify({
      event_id: 'evt-openapi-1',
      event_type: 'platform_application.disconnected',
      workspace_id: 'no-such-workspace',
    });
    const at = Math.floor(Date.now() / 1000);
    const cfAnswer = await rawRequest(
      t.baseUrl,
      'POST',
      '/events/clickfunnels',
      {
        'content-type': 'application/json',
        'x-webhook-clickfunnels-timestamp': String(at),
        'x-webhook-clickfunnels-signature': createHmac('sha256', CLICKFUNNELS_APP_SECRET)
          .update(`${at}.${disconnect}`)
          .digest('hex'),
      },
      disconnect,
    );
    expect(cfAnswer.status).toBe(200);

    const dispatcher = t.app.get(WebhookDispatcher);
    while ((await dispatcher.runOnce()) > 0);
    sent = receiver.requestsTo('/hooks');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const ofType = (type: string) => sent.filter((r) => (JSON.parse(r.rawBody) as { type: string }).type === type);
  const dataOf = (r: RecordedRequest) => (JSON.parse(r.rawBody) as { data: Record<string, unknown> }).data;

  it('sent every event type the service has (WEBHOOK_EVENTS): each is checked below against openapi.json', () => {
    const types = new Set(sent.map((r) => (JSON.parse(r.rawBody) as { type: string }).type));
    expect(WEBHOOK_EVENTS.filter((type) => !types.has(type))).toEqual([]);
    expect([...types].filter((type) => !(WEBHOOK_EVENTS as readonly string[]).includes(type))).toEqual([]);
  });

  it('every delivery has the documented headers and a body the documented schema accepts, nothing undocumented', () => {
    expect(sent.length).toBeGreaterThanOrEqual(WEBHOOK_EVENTS.length);
    expect(sent.flatMap(differences)).toEqual([]);
    // The variants the schema must allow were among them.
    expect(String(sent[0].headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(ofType('connection.needs_reauth').map((r) => dataOf(r).error)).toEqual([
      expect.objectContaining({ code: 'invalid_grant' }),
    ]);
    expect(ofType('connection.revoked').map((r) => dataOf(r).revokedAt)).toEqual([expect.any(String)]);
    const events = ofType('provider.event').map(dataOf);
    expect(events.map((d) => [d.provider, Array.isArray(d.payload), d.connectionId === null])).toEqual(
      expect.arrayContaining([
        ['lightfunnels', false, false],
        ['keap', true, false],
        ['clickfunnels', false, true],
      ]),
    );
  });

  it('refuses what the service must not send (the check can fail)', () => {
    const [event] = ofType('provider.event');
    const body = JSON.parse(event.rawBody) as { type: string; data: Record<string, unknown> };
    const { body: schema, headers } = documented('provider.event');
    expect(problems(schema, body)).toEqual([]);
    expect(problems(schema, { ...body, data: { ...body.data, accessToken: 'x' } })).toEqual([
      '/data must NOT have additional properties: accessToken',
    ]);
    const { eventId: _eventId, ...withoutEventId } = body.data;
    expect(problems(schema, { ...body, data: withoutEventId })).toEqual([
      "/data must have required property 'eventId'",
    ]);
    expect(problems(schema, { ...body, type: 'connection.created' })).toEqual([
      '/type must be equal to one of the allowed values',
    ]);
    const signature = headers.find((h) => h.name === 'webhook-signature')!;
    expect(problems(signature.schema, 'v1,not-base64')).not.toEqual([]);
    const [created] = ofType('connection.created');
    const { body: connectionSchema } = documented('connection.created');
    expect(
      problems(connectionSchema, { ...JSON.parse(created.rawBody), data: { ...dataOf(created), status: 'gone' } }),
    ).not.toEqual([]);
  });
});

describe("openapi.json webhooks: connection-events.ts's bodies, every variant", () => {
  const connection = (patch: Partial<ConnectionEntity>): ConnectionEntity =>
    Object.assign(new ConnectionEntity(), {
      id: randomUUID(),
      provider: 'keap',
      ownerId: 'owner-1',
      accountId: 'acct-1',
      status: ConnectionStatus.Active,
      lastError: null,
      revokedAt: null,
      ...patch,
    });
  const error = {
    code: 'invalid_grant',
    message: 'Token endpoint answered 400 invalid_grant',
    at: new Date().toISOString(),
  };
  const changes: ConnectionChange[] = [
    { type: 'created', connection: connection({}) },
    { type: 'reconnected', connection: connection({}) },
    { type: 'deleted', connection: connection({}) },
    { type: 'deleted', connection: connection({ lastError: error, status: ConnectionStatus.NeedsReauth }) },
    {
      type: 'deleted',
      connection: connection({ status: ConnectionStatus.Revoked, revokedAt: new Date(), lastError: error }),
    },
    ...[ConnectionStatus.NeedsReauth, ConnectionStatus.RefreshFailed, ConnectionStatus.Revoked].flatMap((status) =>
      [null, error].map((lastError): ConnectionChange => ({
        type: 'status_changed',
        from: ConnectionStatus.Active,
        connection: connection({
          status,
          lastError,
          revokedAt: status === ConnectionStatus.Revoked ? new Date() : null,
        }),
      })),
    ),
  ];

  it('covers every connection.* event type, and each body matches its documented schema', () => {
    const bodies = changes
      .map((change) => ({ change, type: eventOf(change) }))
      .filter((c): c is { change: ConnectionChange; type: WebhookEvent } => c.type !== null)
      .map(({ change, type }) => eventPayload(type, change, new Date()));
    const types = new Set(bodies.map((b) => b.type as string));
    expect(WEBHOOK_EVENTS.filter((type) => type.startsWith('connection.') && !types.has(type))).toEqual([]);
    expect(
      bodies.flatMap((b) => problems(documented(String(b.type)).body, b).map((p) => `${String(b.type)} ${p}`)),
    ).toEqual([]);
  });
});
