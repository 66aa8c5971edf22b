import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toOpenApi31 } from '../../src/http/openapi-3-1';
import { generateOpenApi } from '../../src/openapi';
import { WEBHOOK_EVENTS } from '../../src/webhooks/webhook-delivery.entity';

const ROOT = path.resolve(__dirname, '..', '..');

interface Operation {
  operationId: string;
  security?: unknown[];
  parameters?: { $ref?: string; name?: string; in?: string; required?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, unknown>;
}
interface Schema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: Schema[];
  $ref?: string;
  properties?: Record<string, Schema>;
}

describe('openapi.json', () => {
  let generated: string;
  let spec: {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    webhooks: Record<string, Record<string, Operation>>;
    components: {
      schemas: Record<string, Schema>;
      parameters: Record<string, { name: string; in: string; required?: boolean }>;
    };
  };

  beforeAll(async () => {
    generated = await generateOpenApi();
    spec = JSON.parse(generated);
  });

  it('is committed and up to date (run `npm run openapi` after changing the API)', () => {
    const committed = fs.readFileSync(path.join(ROOT, 'openapi.json'), 'utf8');
    expect(committed).toBe(generated);
  });

  it('names operations and schemas for generated clients', () => {
    const operationIds = Object.values(spec.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(operationIds.sort()).toEqual(
      [
        'createApiKey',
        'proxyDelete',
        'proxyGet',
        'proxyHead',
        'proxyPatch',
        'proxyPost',
        'proxyPut',
        'listApiKeys',
        'revokeApiKey',
        'createConnectSession',
        'getConnectSession',
        'observeConnectSession',
        'createSubscription',
        'listSubscriptions',
        'deleteSubscription',
        'deleteConnection',
        'getConnection',
        'getConnectionCredentials',
        'getLiveness',
        'getReadiness',
        'importConnection',
        'listConnections',
        'listConnectionActivity',
        'listProviders',
        'listWebhookDeliveries',
        'redeliverWebhook',
        'refreshConnection',
        'updateConnection',
        'verifyConnection',
      ].sort(),
    );
    expect(Object.keys(spec.components.schemas)).toEqual(
      expect.arrayContaining([
        'Connection',
        'ConnectionList',
        'Credentials',
        'ErrorResponse',
        'ImportConnectionRequest',
        'UpdateConnectionRequest',
        'Provider',
        'CreateConnectSessionRequest',
        'ConnectSession',
      ]),
    );
  });

  it('marks every operation outside /health and the observe channel as needing the API key, and documents its 401', () => {
    for (const [route, item] of Object.entries(spec.paths)) {
      for (const op of Object.values(item)) {
        // The probes, and the connect session's observe channel (its observe token is the proof).
        if (route.startsWith('/health/') || route.startsWith('/connect/observe/')) {
          expect(op.security).toEqual([]);
        } else {
          expect(op.security).toEqual([{ bearer: [] }]);
          expect(op.responses['401']).toBeDefined();
        }
      }
    }
  });

  it('is OpenAPI 3.1: no 3.0-only schema keyword is left, and what was nullable still takes null', () => {
    expect(spec.openapi).toBe('3.1.0');
    const left: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (typeof n.nullable === 'boolean') left.push(`${at}.nullable`);
      for (const key of ['exclusiveMinimum', 'exclusiveMaximum'])
        if (typeof n[key] === 'boolean') left.push(`${at}.${key}`);
      for (const [key, value] of Object.entries(n)) if (key !== 'example') walk(value, `${at}.${key}`);
    };
    walk(spec, '$');
    expect(left).toEqual([]);
    const connection = spec.components.schemas.Connection.properties!;
    expect(connection.teamId.type).toEqual(['string', 'null']);
    expect(connection.lastError.anyOf).toEqual([{ $ref: '#/components/schemas/ConnectionError' }, { type: 'null' }]);
  });

  it('documents exactly the webhooks the service sends (WEBHOOK_EVENTS): one POST each, with its body and signature headers', () => {
    expect(Object.keys(spec.webhooks).sort()).toEqual([...WEBHOOK_EVENTS].sort());
    const bodies = new Map<string, string[]>();
    for (const [event, item] of Object.entries(spec.webhooks)) {
      expect([event, Object.keys(item)]).toEqual([event, ['post']]);
      const op = item.post;
      expect(op.security).toEqual([]);
      expect(op.requestBody?.required).toBe(true);
      expect(Object.keys(op.requestBody!.content)).toEqual(['application/json']);
      const name = op.requestBody!.content['application/json'].schema.$ref!.replace('#/components/schemas/', '');
      bodies.set(name, [...(bodies.get(name) ?? []), event]);
      const headers = (op.parameters ?? []).map((p) => spec.components.parameters[p.$ref!.split('/').pop()!]);
      expect(headers.map((h) => [h.in, h.name, h.required])).toEqual([
        ['header', 'webhook-id', true],
        ['header', 'webhook-timestamp', true],
        ['header', 'webhook-signature', true],
      ]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['2XX']));
    }
    // Each body's `type` lists exactly the events sent with that body.
    expect([...bodies.keys()].sort()).toEqual(['ConnectionEventWebhook', 'ProviderEventWebhook']);
    for (const [name, events] of bodies)
      expect([name, [...spec.components.schemas[name].properties!.type.enum!].sort()]).toEqual([name, events.sort()]);
    // Webhooks are not operations a client calls.
    const pathIds = Object.values(spec.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const webhookIds = Object.values(spec.webhooks).map((item) => item.post.operationId);
    expect(pathIds.filter((id) => webhookIds.includes(id))).toEqual([]);
  });

  it('passes `redocly lint` with the recommended rules', () => {
    const result = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'redocly'),
      ['lint', 'openapi.json', '--extends=recommended', '--format=stylish'],
      {
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(`${result.stdout}${result.stderr}`).toContain('valid');
    expect(result.status).toBe(0);
  });
});

describe('toOpenApi31 (Nest writes 3.0 schemas)', () => {
  const convert = (schemas: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    toOpenApi31({
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: {},
      components: { schemas },
      ...extra,
    } as never);

  it('writes nullable as JSON Schema does: a type with null, an enum with null, a reference or null', () => {
    const out = convert({
      A: {
        type: 'object',
        properties: {
          text: { type: 'string', maxLength: 5, nullable: true, example: null },
          kind: { type: 'string', enum: ['a', 'b'], nullable: true },
          ref: { allOf: [{ $ref: '#/components/schemas/B' }], type: 'object', nullable: true, description: 'd' },
          refWithMore: { allOf: [{ $ref: '#/components/schemas/B' }], nullable: true, minProperties: 1 },
          plain: { type: 'integer', format: 'int32', nullable: false, exclusiveMinimum: true, minimum: 0 },
          items: { type: 'array', maxItems: 2, items: { type: 'string', maxLength: 1, nullable: true } },
        },
      },
      B: { type: 'object', properties: { nullable: { type: 'boolean' } } },
    });
    expect(out.openapi).toBe('3.1.0');
    expect(out.components!.schemas).toEqual({
      A: {
        type: 'object',
        properties: {
          text: { type: ['string', 'null'], maxLength: 5, example: null },
          kind: { type: ['string', 'null'], enum: ['a', 'b', null] },
          ref: { description: 'd', anyOf: [{ $ref: '#/components/schemas/B' }, { type: 'null' }] },
          refWithMore: {
            anyOf: [{ allOf: [{ $ref: '#/components/schemas/B' }], minProperties: 1 }, { type: 'null' }],
          },
          plain: { type: 'integer', format: 'int32', exclusiveMinimum: 0 },
          items: { type: 'array', maxItems: 2, items: { type: ['string', 'null'], maxLength: 1 } },
        },
      },
      // A property named `nullable` is a property.
      B: { type: 'object', properties: { nullable: { type: 'boolean' } } },
    });
  });

  it('leaves data alone (examples, defaults, extensions) and what is 3.1 already', () => {
    const data = { nullable: true, exclusiveMinimum: true };
    const out = convert(
      {
        C: {
          type: 'object',
          example: data,
          default: data,
          'x-thing': data,
          properties: { n: { type: ['string', 'null'], maxLength: 3 } },
        },
      },
      {
        paths: {
          '/x': {
            get: {
              responses: {
                '200': { description: 'ok', content: { 'application/json': { schema: {}, example: data } } },
              },
            },
          },
        },
      },
    );
    expect(out.components!.schemas!.C).toEqual({
      type: 'object',
      example: data,
      default: data,
      'x-thing': data,
      properties: { n: { type: ['string', 'null'], maxLength: 3 } },
    });
    expect(out.paths['/x'].get!.responses['200']).toEqual({
      description: 'ok',
      content: { 'application/json': { schema: {}, example: data } },
    });
  });
});
