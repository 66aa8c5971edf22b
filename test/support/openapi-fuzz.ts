import fc from 'fast-check';
import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

/**
 * Requests derived from an OpenAPI 3 document with fast-check, for the fuzz suite
 * (test/e2e/fuzz.e2e.spec.ts): schema-valid inputs, schema-invalid ones (wrong types, out of range,
 * missing or unknown fields) and hostile shapes (deep nesting, huge strings, control characters and
 * unpaired surrogates, prototype keys, repeated and numerous fields, oversized headers, bad
 * percent-encoding). Only the parts of OpenAPI this service's document uses are read.
 */

export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  nullable?: boolean;
}

interface Parameter {
  $ref?: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }>; required?: boolean };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema>; parameters?: Record<string, Parameter> };
}

/** One operation of the document, its references resolved. */
export interface FuzzOperation {
  /** `GET /connections/{id}` */
  id: string;
  method: string;
  path: string;
  params: Parameter[];
  /** The JSON body's schema; `binary` for a body of any type (the proxy); none without a body. */
  body?: Schema | 'binary';
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'];

export function operationsOf(doc: OpenApiDocument): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const params = [
        ...((item as { parameters?: Parameter[] }).parameters ?? []),
        ...(operation.parameters ?? []),
      ].map((p) => (p.$ref ? (resolveRef(doc, p.$ref) as Parameter) : p));
      const content = operation.requestBody?.content ?? {};
      const json = Object.entries(content).find(([type]) => /json/i.test(type))?.[1];
      const body = json?.schema ? resolve(doc, json.schema) : Object.keys(content).length > 0 ? 'binary' : undefined;
      operations.push({ id: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, params, body });
    }
  }
  return operations;
}

function resolveRef(doc: OpenApiDocument, ref: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON pointer walks anything
  let node: any = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (node === undefined) throw new Error(`unresolved ${ref}`);
  return node;
}

/** The schema with its references and allOf folded in (deep). */
export function resolve(doc: OpenApiDocument, schema: Schema, depth = 0): Schema {
  if (depth > 20) return {};
  let s: Schema = schema.$ref ? resolve(doc, resolveRef(doc, schema.$ref) as Schema, depth + 1) : { ...schema };
  if (s.allOf) {
    const { allOf, ...rest } = s;
    s = allOf.reduce<Schema>((merged, part) => ({ ...merged, ...resolve(doc, part, depth + 1) }), rest);
  }
  if (s.items) s = { ...s, items: resolve(doc, s.items, depth + 1) };
  if (s.properties)
    s = {
      ...s,
      properties: Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, resolve(doc, v, depth + 1)])),
    };
  return s;
}

/** Values the running service knows (ids of seeded rows, provider names), by field or parameter name. */
export type Known = Record<string, () => string[]>;

/** Strings that have broken parsers, databases and log lines elsewhere. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0001\u001f\u007f',
  '\ud800',
  '\udfff',
  'x\udbff',
  '\ud83d\ude00',
  '\u202e',
  '\ufeff',
  '\r\nX-Injected: 1',
  '../../etc/passwd',
  "' OR '1'='1",
  '%00',
  '%',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'NaN',
  '-0',
  '1e309',
  '00000000-0000-0000-0000-000000000000',
];

const controlOrSurrogate = fc.string({ unit: 'binary', maxLength: 40 });

/** A string from anywhere: nasty constants, any code units (lone surrogates and controls included), long runs. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  controlOrSurrogate,
  fc.integer({ min: 256, max: 20_000 }).map((n) => 'x'.repeat(n)),
);

const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A value the schema accepts (as far as the schema says; the service may have rules of its own). */
export function validValue(schema: Schema, known: Known, name = ''): fc.Arbitrary<unknown> {
  const knownValues = known[name]?.() ?? [];
  const own = schemaValue(schema, known);
  return knownValues.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...knownValues), weight: 3 }, own) : own;
}

function schemaValue(schema: Schema, known: Known): fc.Arbitrary<unknown> {
  const base = ((): fc.Arbitrary<unknown> => {
    if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
    switch (schema.type) {
      case 'string':
        return stringValue(schema);
      case 'integer':
        return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
      case 'number':
        return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(validValue(schema.items ?? {}, known), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 5, 5),
        });
      case 'object':
      case undefined:
        if (!schema.properties && schema.type === undefined) return anyJson;
        return objectValue(schema, known);
      default:
        return anyJson;
    }
  })();
  return schema.nullable ? fc.option(base, { nil: null }) : base;
}

function stringValue(schema: Schema): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return fc.uuid();
    case 'date-time':
      return fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'uri':
    case 'url':
      return fc.webUrl();
    default: {
      const minLength = schema.minLength ?? 0;
      return fc.string({ minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 40, 200)) });
    }
  }
}

function objectValue(schema: Schema, known: Known): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const record = fc.record(
    Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, validValue(v, known, k)])),
    { requiredKeys: (schema.required ?? []).filter((k) => k in properties) },
  );
  if (schema.additionalProperties !== true || Object.keys(properties).length > 0) return record;
  // A free-form object (metadata): small JSON.
  return fc.dictionary(fc.string({ maxLength: 12 }), anyJson, { maxKeys: 5 });
}

/** A value of another type than the schema's, or one of its type outside its limits. */
export function invalidValue(schema: Schema): fc.Arbitrary<unknown> {
  const wrongType = fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e308, '', 'x', [], {}, [1, 'a'], {
    a: 1,
  });
  const outside: fc.Arbitrary<unknown>[] = [wrongType, hostileString, anyJson];
  if (schema.enum) outside.push(fc.string({ maxLength: 20 }).filter((s) => !schema.enum!.includes(s)));
  if (schema.type === 'string') {
    if (schema.maxLength !== undefined) outside.push(fc.constant('y'.repeat(schema.maxLength + 1)));
    if (schema.minLength) outside.push(fc.constant(''));
    if (schema.format === 'uuid') outside.push(fc.constantFrom('not-a-uuid', '12345678-1234-1234-1234-12345678901g'));
    if (schema.format === 'date-time') outside.push(fc.constantFrom('2024-13-40T99:99:99Z', 'yesterday', '0'));
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    if (schema.maximum !== undefined) outside.push(fc.constant(schema.maximum + 1));
    if (schema.minimum !== undefined) outside.push(fc.constant(schema.minimum - 1));
    outside.push(fc.constantFrom(2 ** 53 + 1, -(2 ** 63), 0.5, '12abc', 'Infinity'));
  }
  if (schema.type === 'array') {
    outside.push(fc.constant(Array.from({ length: (schema.maxItems ?? 1000) + 1 }, () => 'z')));
    outside.push(fc.array(invalidValue(schema.items ?? {}), { minLength: 1, maxLength: 3 }));
  }
  return fc.oneof(...outside);
}

/** A JSON body that breaks the schema in one place (or is not an object at all). */
export function invalidBody(schema: Schema, known: Known): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  const valid = objectValue(schema, known);
  const variants: fc.Arbitrary<unknown>[] = [
    fc.constantFrom<unknown>([], [{}], 'text', 42, null, true),
    fc.tuple(valid, fc.string({ maxLength: 12 }), anyJson).map(([v, k, x]) => ({ ...v, [k]: x })),
  ];
  if (names.length > 0) {
    variants.push(
      fc
        .tuple(valid, fc.constantFrom(...names))
        .chain(([v, k]) => invalidValue(properties[k]).map((bad) => ({ ...v, [k]: bad }))),
    );
    const required = (schema.required ?? []).filter((k) => k in properties);
    if (required.length > 0)
      variants.push(
        fc.tuple(valid, fc.constantFrom(...required)).map(([v, k]) => {
          const copy = { ...v };
          delete copy[k];
          return copy;
        }),
      );
  }
  return fc.oneof(...variants);
}

/** A plain valid body: the required fields only, each with a known value or the simplest its schema allows. */
export function baseBody(schema: Schema, known: Known): Record<string, unknown> {
  const simple = (s: Schema, name: string): unknown => {
    const knownValue = known[name]?.()[0];
    if (knownValue !== undefined) return knownValue;
    if (s.enum) return s.enum[0];
    if (s.type === 'integer' || s.type === 'number') return s.minimum ?? 1;
    if (s.type === 'boolean') return false;
    if (s.type === 'array') return [simple(s.items ?? {}, '')];
    if (s.type === 'object') return {};
    if (s.format === 'date-time') return new Date(Date.UTC(2030, 0, 1)).toISOString();
    return 'fuzz';
  };
  const properties = schema.properties ?? {};
  return Object.fromEntries(
    (schema.required ?? []).filter((k) => k in properties).map((k) => [k, simple(properties[k], k)]),
  );
}

/**
 * JSON texts with one hostile value in one field of a body otherwise `base`, per field: strings with
 * NUL, other control characters, unpaired surrogates and a bidi override (one set with NUL, one without,
 * since NUL alone is refused first), lists of them, and for objects keys such as NUL, lone surrogates,
 * `__proto__` and `constructor` (written as text: an object literal would set the prototype instead).
 */
export function oneFieldHostile(schema: Schema, base: Record<string, unknown>): { field: string; text: string }[] {
  const strings = [JSON.stringify('a\u0000b\ud800'), JSON.stringify('\u001b[31m\ud800x\u202e\udfff\u0007\r\n')];
  const objects = [
    '{"\\u0000":"\\ud800","__proto__":{"polluted":true}}',
    '{"\\ud800":"\\udfff\\u0001","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"k":{"\\udfff":[]}}',
  ];
  const marker = '"__fuzz_value__"';
  return Object.entries(schema.properties ?? {}).flatMap(([field, s]) =>
    (s.type === 'object' ? objects : s.type === 'array' ? strings.map((v) => `[${v}]`) : strings).map((value) => ({
      field,
      text: JSON.stringify({ ...base, [field]: '__fuzz_value__' }).replace(marker, value),
    })),
  );
}

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD first, as in UTF-8). */
export function pct(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Path segments no decoder should choke on: truncated, overlong, invalid UTF-8 (a CESU surrogate too). */
export const BAD_SEGMENTS = [
  '%',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%FF%FE',
  '%00',
  '%2e%2e',
  '..',
  '%2F',
  '%5C',
  'a%',
  '%%',
  '%u0041',
  'x'.repeat(2_000),
];

// ---------------------------------------------------------------------------------------------------
// Sending

export interface FuzzRequest {
  method: string;
  /** The request target as sent: path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** What kind of input this is, for failure messages. */
  kind: string;
  /** The request line as written, when it is not `<method> <path> HTTP/1.1` (a malformed one). */
  line?: string;
}

export interface FuzzAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  ms: number;
  /** Set when no answer came (reset, timeout). */
  error?: string;
}

/**
 * One request on its own TCP connection, written by hand: bytes as given (any header size, any target),
 * and out of reach of the test setup's interceptor (nock), which loses an answer the server sends
 * before it has read the request. Cut after `timeoutMs`. A reset after the answer arrived (a server
 * that answers before reading the whole body) still counts as that answer.
 */
export function send(baseUrl: string, req: FuzzRequest, timeoutMs: number): Promise<FuzzAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const started = performance.now();
  const head = [req.line ?? `${req.method} ${req.path} HTTP/1.1`, `host: ${hostname}:${port}`, 'connection: close'];
  for (const [name, value] of Object.entries(req.headers)) head.push(`${name}: ${value}`);
  if (req.body !== undefined) head.push(`content-length: ${req.body.length}`);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const ms = Math.round(performance.now() - started);
      const parsed = parseAnswer(Buffer.concat(chunks), req.method === 'HEAD');
      if (parsed) resolve({ ...parsed, ms });
      else resolve({ status: 0, headers: {}, text: '', ms, error: error ?? 'connection closed without an answer' });
    };
    const socket = connect(Number(port), hostname, () => {
      // Not ended: a half-closed connection tells Node's server the client went away.
      socket.write(`${head.join('\r\n')}\r\n\r\n`, 'latin1');
      if (req.body) socket.write(req.body);
    });
    const timer = setTimeout(() => settle(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // Complete once the whole body is in (a server may keep the connection open despite `close`).
      if (parseAnswer(Buffer.concat(chunks), req.method === 'HEAD', true)) settle();
    });
    socket.on('end', () => settle());
    socket.on('close', () => settle());
    socket.on('error', (error: NodeJS.ErrnoException) => settle(`${error.code ?? ''} ${error.message}`.trim()));
  });
}

/** An HTTP/1.1 answer from its bytes; undefined while incomplete (`complete`) or when it is not one. */
function parseAnswer(raw: Buffer, head: boolean, complete = false): Omit<FuzzAnswer, 'ms'> | undefined {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) return undefined;
  const [statusLine, ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (!status) return undefined;
  const headers: IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(split + 4);
  if (head || status === '204' || status === '304') body = Buffer.alloc(0);
  else if (/chunked/i.test(String(headers['transfer-encoding']))) {
    const out: Buffer[] = [];
    let at = 0;
    let ended = false;
    for (;;) {
      const eol = body.indexOf('\r\n', at);
      if (eol < 0) break;
      const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
      if (!Number.isFinite(size)) break;
      if (size === 0) {
        ended = true;
        break;
      }
      if (eol + 2 + size > body.length) break;
      out.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    if (complete && !ended) return undefined;
    body = Buffer.concat(out);
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (complete && body.length < length) return undefined;
    body = body.subarray(0, length);
  } else if (complete) return undefined;
  return { status: Number(status), headers, text: body.toString('utf8') };
}
