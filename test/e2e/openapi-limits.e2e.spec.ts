import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestApp, TestApp } from '../support/app';

/**
 * The limits openapi.json declares are the ones the code enforces: for every bounded string of a
 * request body, query or path, one character over the limit is 400 validation_failed naming the field,
 * and a value at the limit is not refused by validation (it may still be refused for what it says:
 * an unknown provider, an invalid cursor).
 */

interface Schema {
  /** A list in OpenAPI 3.1 where the value may also be null (`['string', 'null']`). */
  type?: string | string[];
  format?: string;
  maxLength?: number;
  pattern?: string;
  maxItems?: number;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  $ref?: string;
}
interface Parameter {
  name: string;
  in: string;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

const spec = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

const schemaOf = (s: Schema): Schema => (s.$ref ? spec.components.schemas[s.$ref.split('/').pop()!] : s);
const isType = (s: Schema, type: string) => s.type === type || (Array.isArray(s.type) && s.type.includes(type));

/** A valid string of exactly `length` characters for `field` (or one character more, still well-formed). */
function valueOf(field: string, schema: Schema, length: number): string {
  if (schema.format === 'date-time') {
    // The longest RFC 3339 form: nine fraction digits and an offset (35); one more digit is 36.
    const base = '2030-01-02T03:04:05.123456789+01:00';
    return length <= base.length ? base : base.replace('+', '0+');
  }
  if (field === 'apiBaseUrl' || field === 'returnUrl') return `https://example.com/${'a'.repeat(length - 20)}`;
  return 'x'.repeat(length);
}

/** Bodies that pass validation, per operation; each field is then set at and over its limit. */
const BODIES: Record<string, () => Record<string, unknown>> = {
  'POST /api-keys': () => ({ name: `limits-${Math.random().toString(36).slice(2)}`, scopes: ['metrics'] }),
  'POST /connect-sessions': () => ({ provider: 'keap', ownerId: 'limits-owner' }),
  'POST /connections': () => ({ provider: 'keap', ownerId: 'limits-owner', accessToken: 'at-limits' }),
  // A connection that does not exist: validation passes, then 404.
  'POST /connections/{id}/subscriptions': () => ({ events: ['contact.add'] }),
};

/** Path parameters are ids: a well-formed one that names nothing. */
const concrete = (route: string) => route.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');

interface Case {
  operation: string;
  field: string;
  at: () => Record<string, unknown>;
  over: () => Record<string, unknown>;
}

function bodyCases(): Case[] {
  const cases: Case[] = [];
  for (const [route, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const operation = `${method.toUpperCase()} ${route}`;
      const json = op.requestBody?.content['application/json']?.schema;
      if (!json) continue;
      for (const [field, raw] of Object.entries(schemaOf(json).properties ?? {})) {
        const schema = schemaOf(raw);
        const withField = (value: unknown) => () => {
          const base = BODIES[operation];
          if (!base) throw new Error(`${operation}: add a valid body to BODIES`);
          const body: Record<string, unknown> = { ...base(), [field]: value };
          // expiresIn and expiresAt exclude each other, as do provider and providers.
          if (field === 'expiresAt') delete body.expiresIn;
          if (field === 'providers') delete body.provider;
          return body;
        };
        if (isType(schema, 'string') && schema.maxLength !== undefined) {
          const n = schema.maxLength;
          cases.push({
            operation,
            field,
            at: withField(valueOf(field, schema, n)),
            over: withField(valueOf(field, schema, n + 1)),
          });
        }
        if (isType(schema, 'array') && schema.items) {
          const items = schemaOf(schema.items);
          // Not enums (API key scopes): a list longer than the enum repeats a value.
          if (!isType(items, 'string') || items.enum) continue;
          const item = (i: number) => `s${i}`;
          const list = (count: number) => Array.from({ length: count }, (_, i) => item(i));
          if (schema.maxItems !== undefined)
            cases.push({
              operation,
              field: `${field} (items)`,
              at: withField(list(schema.maxItems)),
              over: withField(list(schema.maxItems + 1)),
            });
          if (items.maxLength !== undefined)
            cases.push({
              operation,
              field: `${field} (item length)`,
              at: withField([valueOf(field, items, items.maxLength)]),
              over: withField([valueOf(field, items, items.maxLength + 1)]),
            });
        }
      }
    }
  }
  return cases;
}

function queryCases(): { route: string; name: string; maxLength: number; fill: string }[] {
  return Object.entries(spec.paths).flatMap(([route, item]) =>
    (item.get?.parameters ?? [])
      .filter((p) => p.in === 'query' && isType(p.schema, 'string') && p.schema.maxLength !== undefined)
      .map((p) => {
        const maxLength = p.schema.maxLength!;
        // A value at the limit that also matches a declared pattern (digits, as staleVersion's), else x's.
        const digits = p.schema.pattern !== undefined && new RegExp(p.schema.pattern).test('1'.repeat(maxLength));
        return { route, name: p.name, maxLength, fill: digits ? '1' : 'x' };
      }),
  );
}

describe('the limits openapi.json declares are enforced (real app)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const send = (operation: string, body: Record<string, unknown>) => {
    const [method, route] = operation.split(' ');
    return method === 'POST' ? t.api.post(concrete(route)).send(body) : t.api.patch(concrete(route)).send(body);
  };

  const refusedFor = (res: { status: number; body: { code?: string; message?: string } }, field: string) =>
    res.status === 400 && res.body.code === 'validation_failed' && (res.body.message ?? '').includes(field);

  const cases = bodyCases();

  it('finds the bounded fields of every request body', () => {
    const fields = cases.map((c) => `${c.operation} ${c.field}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        'POST /api-keys name',
        'POST /connect-sessions ownerId',
        'POST /connect-sessions returnUrl',
        'POST /connect-sessions scopes (items)',
        'POST /connect-sessions scopes (item length)',
        'POST /connections apiBaseUrl',
        'POST /connections accessToken',
        'POST /connections workspaceId',
        'POST /connections expiresAt',
      ]),
    );
  });

  it.each(cases.map((c) => [`${c.operation} ${c.field}`, c] as const))(
    '%s: one over the limit is 400 validation_failed naming it; at the limit, validation passes',
    async (_name, c) => {
      const field = c.field.split(' ')[0];
      const over = await send(c.operation, c.over());
      expect({ status: over.status, code: over.body.code }).toEqual({ status: 400, code: 'validation_failed' });
      expect(over.body.message).toContain(field);
      const at = await send(c.operation, c.at());
      expect(refusedFor(at, field)).toBe(false);
      expect(at.status).toBeLessThan(500);
    },
  );

  it.each(queryCases().map((q) => [`GET ${q.route}?${q.name}`, q] as const))(
    '%s: one over the limit is 400 validation_failed naming it; at the limit, validation passes',
    async (_name, q) => {
      const over = await t.api.get(q.route).query({ [q.name]: 'x'.repeat(q.maxLength + 1) });
      expect({ status: over.status, code: over.body.code }).toEqual({ status: 400, code: 'validation_failed' });
      expect(over.body.message).toContain(q.name);
      const at = await t.api.get(q.route).query({ [q.name]: q.fill.repeat(q.maxLength) });
      expect(refusedFor(at, q.name)).toBe(false);
      expect(at.status).toBeLessThan(500);
    },
  );

  it('DELETE /api-keys/{id}: an id of 36 characters is looked up, one of 37 is refused (validation_failed)', async () => {
    const declared = spec.paths['/api-keys/{id}'].delete.parameters!.find((p) => p.name === 'id')!.schema.maxLength;
    expect(declared).toBe(36);
    const at = await t.api.delete(`/api-keys/env-${'1'.repeat(32)}`);
    expect({ status: at.status, code: at.body.code }).toEqual({ status: 404, code: 'api_key_not_found' });
    const over = await t.api.delete(`/api-keys/env-${'1'.repeat(33)}`);
    expect({ status: over.status, code: over.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect(over.body.message).toContain('id');
  });

  it('a validation message is at most 1024 characters, however many fields are refused', async () => {
    const declared = spec.components.schemas.ErrorResponse.properties!.message.maxLength!;
    const body: Record<string, unknown> = { provider: 'keap', ownerId: 'limits-owner', accessToken: 'at' };
    for (let i = 0; i < 300; i++) body[`unknown_field_number_${i}`] = 1;
    const res = await t.api.post('/connections').send(body).expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.message).toContain('property unknown_field_number_0 should not exist');
    expect(res.body.message.length).toBeLessThanOrEqual(1024);
    expect(res.body.message.endsWith('…')).toBe(true);
    expect(declared).toBeGreaterThanOrEqual(1024);
  });
});
