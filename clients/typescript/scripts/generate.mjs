#!/usr/bin/env node
// Generates the TypeScript client from the committed openapi.json:
//   src/schema.ts  types of every path, operation and schema (openapi-typescript)
//   src/index.ts   createConnectionsClient(): one method per operationId, on top of openapi-fetch
//
// Usage: node clients/typescript/scripts/generate.mjs [--spec openapi.json] [--out clients/typescript/src]
// (`npm run client:generate` at the repository root). The output depends only on the spec and on the
// pinned openapi-typescript and TypeScript versions: the same spec gives the same bytes, which is what
// test/client-generated.spec.ts checks against the committed files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = path.resolve(PACKAGE_DIR, '..', '..');

function parseArgs(argv) {
  const args = { spec: path.join(REPO_ROOT, 'openapi.json'), out: path.join(PACKAGE_DIR, 'src') };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === '--spec' || flag === '--out') && value) {
      args[flag.slice(2)] = path.resolve(value);
      i++;
    } else {
      throw new Error(`unknown argument ${flag}; usage: generate.mjs [--spec openapi.json] [--out dir]`);
    }
  }
  return args;
}

const HEADER = (what) =>
  [
    '/**',
    ` * ${what}`,
    ' * Generated from openapi.json by clients/typescript/scripts/generate.mjs. Do not edit:',
    ' * run `npm run client:generate` at the repository root after `npm run openapi`.',
    ' */',
    '',
  ].join('\n');

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const SCHEMA_REF = /^#\/components\/schemas\/([A-Za-z_$][A-Za-z0-9_$]*)$/;

const pascal = (id) => id[0].toUpperCase() + id.slice(1);
const jsdocText = (text) => text.replace(/\*\//g, '*\\/');

/** Every operation of the spec, checked for what the generated client supports, sorted by operationId. */
function collectOperations(spec) {
  const operations = [];
  for (const [route, item] of Object.entries(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      // Proxy operations (x-proxy) get one helper, proxy(), instead of a method each; operations for the
      // browser (x-browser: the connect session's observe channel) are the browser package's, not a backend's.
      if (!op || op['x-proxy'] || op['x-browser']) continue;
      const where = `${method.toUpperCase()} ${route}`;
      const id = op.operationId;
      if (!id || !IDENTIFIER.test(id)) throw new Error(`${where}: needs an operationId that is a valid identifier (got ${JSON.stringify(id)})`);
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => {
        if (p.$ref) throw new Error(`${where}: $ref parameters are not supported by the generator`);
        return p;
      });
      const path = params.filter((p) => p.in === 'path');
      const query = params.filter((p) => p.in === 'query');
      const other = params.filter((p) => p.in !== 'path' && p.in !== 'query');
      if (other.length) throw new Error(`${where}: ${other.map((p) => `${p.in} parameter ${p.name}`).join(', ')} not supported by the generator`);
      const names = [...path, ...query].map((p) => p.name);
      for (const name of names) {
        if (!IDENTIFIER.test(name)) throw new Error(`${where}: parameter name ${JSON.stringify(name)} is not a valid identifier`);
      }
      if (new Set(names).size !== names.length) throw new Error(`${where}: a parameter name is used twice`);
      const templated = [...route.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      if (JSON.stringify(templated) !== JSON.stringify(path.map((p) => p.name).sort())) throw new Error(`${where}: path template and path parameters differ`);
      let body;
      if (op.requestBody) {
        if (op.requestBody.$ref) throw new Error(`${where}: $ref request bodies are not supported by the generator`);
        const types = Object.keys(op.requestBody.content ?? {});
        if (types.length !== 1 || types[0] !== 'application/json') throw new Error(`${where}: only application/json request bodies are supported (got ${types.join(', ')})`);
        const ref = SCHEMA_REF.exec(op.requestBody.content['application/json'].schema?.$ref ?? '');
        body = { required: op.requestBody.required === true, schemaName: ref ? ref[1] : undefined };
      }
      operations.push({
        id,
        method,
        route,
        summary: op.summary,
        description: op.description,
        deprecated: op.deprecated === true,
        path,
        query,
        paramsRequired: path.length > 0 || query.some((p) => p.required),
        body,
      });
    }
  }
  const ids = operations.map((o) => o.id);
  const dupe = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dupe) throw new Error(`operationId ${dupe} is used twice`);
  return operations.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function paramsTypeOf(op) {
  const parts = [];
  if (op.path.length) parts.push(`operations['${op.id}']['parameters']['path']`);
  if (op.query.length) parts.push(`NonNullable<operations['${op.id}']['parameters']['query']>`);
  return parts.join(' & ');
}

function bodyTypeOf(op) {
  if (op.body.schemaName) return op.body.schemaName;
  return `NonNullable<operations['${op.id}']['requestBody']>['content']['application/json']`;
}

function docComment(op, indent) {
  const lines = [];
  if (op.summary) lines.push(op.summary);
  if (op.description) lines.push(...(lines.length ? [''] : []), ...op.description.split('\n'));
  lines.push(...(lines.length ? [''] : []), `\`${op.method.toUpperCase()} ${op.route}\` (operationId \`${op.id}\`)`);
  if (op.deprecated) lines.push('@deprecated');
  return [`${indent}/**`, ...lines.map((l) => `${indent} *${l ? ` ${jsdocText(l)}` : ''}`), `${indent} */`].join('\n');
}

function signatureOf(op) {
  const args = [];
  if (op.path.length || op.query.length) args.push(`params${op.paramsRequired ? '' : '?'}: ${pascal(op.id)}Params`);
  if (op.body) args.push(`body${op.body.required ? '' : '?'}: ${bodyTypeOf(op)}`);
  args.push('options?: RequestOptions');
  return `${op.id}(${args.join(', ')}): Promise<OperationResult<'${op.id}'>>`;
}

function implementationOf(op) {
  const args = [];
  const init = ['...init'];
  if (op.path.length || op.query.length) {
    const pathNames = op.path.map((p) => p.name).join(', ');
    if (op.path.length && op.query.length) {
      args.push(`{ ${pathNames}, ...query }`);
      init.push(`params: { path: { ${pathNames} }, query }`);
    } else if (op.path.length) {
      args.push(`{ ${pathNames} }`);
      init.push(`params: { path: { ${pathNames} } }`);
    } else {
      args.push('query');
      init.push('params: { query }');
    }
  }
  if (op.body) {
    args.push('body');
    init.push('body');
  }
  args.push('init');
  return `    ${op.id}: (${args.join(', ')}) => raw.${op.method.toUpperCase()}('${op.route}', { ${init.join(', ')} }),`;
}

/** Whether the spec has the proxy route (operations marked x-proxy). */
const hasProxy = (spec) =>
  Object.values(spec.paths ?? {}).some((item) => HTTP_METHODS.some((method) => item[method]?.['x-proxy']));

const PROXY_TYPES = `/** A call through the proxy: method (GET by default), query, headers, body, retries. */
export interface ProxyInit extends RequestOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Appended as the query string. */
  query?: Record<string, string | number | boolean>;
  /** Sent as it is; a plain object or array is sent as JSON (Content-Type: application/json). */
  body?: RequestInit['body'] | Record<string, unknown> | unknown[];
  /** Proxy-Retries: retries of an idempotent call on 429, 5xx or no connection (0–5). */
  retries?: number;
}
`;

const PROXY_IMPLEMENTATION = `    proxy: (connectionId, path, init = {}) => {
      // Characters a path segment may hold (RFC 3986 pchar) stay as they are, \`%\` too: a path that is
      // already percent-encoded is sent as it is. Anything else is encoded; the query goes in \`query\`.
      const segments = path.replace(/^\\/+/, '').split('/').map((s) => s.replace(/[^A-Za-z0-9\\-._~!$&'()*+,;=:@%]/g, encodeURIComponent)).join('/');
      const query = init.query
        ? \`?\${new URLSearchParams(Object.entries(init.query).map(([k, v]): [string, string] => [k, String(v)])).toString()}\`
        : '';
      const url = \`\${options.baseUrl.replace(/\\/+$/, '')}/proxy/\${encodeURIComponent(connectionId)}/\${segments}\${query}\`;
      const json = typeof init.body === 'object' && init.body !== null && (Array.isArray(init.body) || Object.getPrototypeOf(init.body) === Object.prototype);
      // Header names in any case: later ones replace earlier ones (Headers folds the case).
      const headers = new Headers(options.headers);
      if (json) headers.set('Content-Type', 'application/json');
      if (init.retries !== undefined) headers.set('Proxy-Retries', String(init.retries));
      for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value);
      headers.set('Authorization', \`Bearer \${options.apiKey}\`);
      const stream = typeof ReadableStream !== 'undefined' && init.body instanceof ReadableStream;
      const request = new Request(url, {
        method: init.method ?? 'GET',
        headers,
        body: json ? JSON.stringify(init.body) : (init.body as RequestInit['body']),
        signal: init.signal,
        // A streamed body must say so (fetch's half duplex).
        ...(stream && { duplex: 'half' }),
      } as RequestInit);
      return (options.fetch ?? globalThis.fetch)(request);
    },`;

/**
 * The operationIds of the webhooks (openapi.json `webhooks`: the requests the service sends to WEBHOOK_URL),
 * checked for what the client's webhook types need: one POST each, with a JSON body.
 */
function collectWebhooks(spec) {
  const ids = [];
  for (const [name, item] of Object.entries(spec.webhooks ?? {})) {
    const methods = HTTP_METHODS.filter((method) => item[method]);
    if (methods.length !== 1 || methods[0] !== 'post') throw new Error(`webhook ${name}: only one POST per webhook is supported (got ${methods.join(', ') || 'none'})`);
    const types = Object.keys(item.post.requestBody?.content ?? {});
    if (types.length !== 1 || types[0] !== 'application/json') throw new Error(`webhook ${name}: needs an application/json request body (got ${types.join(', ') || 'none'})`);
    if (item.post.operationId) ids.push(item.post.operationId);
  }
  return ids.sort();
}

const WEBHOOK_TYPES = `/**
 * The JSON body the service POSTs to WEBHOOK_URL for webhook event E (openapi.json \`webhooks\`), e.g.
 * \`WebhookBody<'provider.event'>\`; without E, any of them, told apart by \`type\`. Verify the signature on the raw
 * body before parsing it.
 */
export type WebhookBody<E extends keyof webhooks = keyof webhooks> = NonNullable<webhooks[E]['post']>['requestBody']['content']['application/json'];
`;

function generateIndex(spec, operations) {
  const webhookOperationIds = collectWebhooks(spec);
  const shared = webhookOperationIds.find((id) => operations.some((op) => op.id === id));
  if (shared) throw new Error(`operationId ${shared} is used by a webhook and a route`);
  const hasWebhooks = Object.keys(spec.webhooks ?? {}).length > 0;
  const schemaNames = Object.keys(spec.components?.schemas ?? {}).sort();
  for (const name of schemaNames) {
    if (!IDENTIFIER.test(name)) throw new Error(`schema name ${JSON.stringify(name)} is not a valid identifier`);
  }
  const ownNames = ['ConnectionsClient', 'ConnectionsClientOptions', 'RequestOptions', 'OperationId', 'OperationData', 'OperationError', 'OperationResult', 'WebhookBody', 'createConnectionsClient', 'paths', 'operations', 'components', 'webhooks'];
  const paramsTypes = operations.filter((op) => op.path.length || op.query.length).map((op) => ({ name: `${pascal(op.id)}Params`, op }));
  const taken = new Set(ownNames);
  for (const name of [...schemaNames, ...paramsTypes.map((p) => p.name)]) {
    if (taken.has(name)) throw new Error(`generated name ${name} is used twice (a schema name clashes with the client's own)`);
    taken.add(name);
  }
  if (operations.some((op) => op.id === 'raw')) throw new Error('operationId "raw" clashes with ConnectionsClient.raw');
  const bodySchemas = [...new Set(operations.filter((op) => op.body?.schemaName).map((op) => op.body.schemaName))].sort();

  const out = [];
  out.push(HEADER(`TypeScript client of ${spec.info?.title ?? 'the API'} ${spec.info?.version ?? ''}`.trimEnd() + '.'));
  out.push("import createClient, { type Client } from 'openapi-fetch';");
  out.push(`import type { ${['operations', 'paths', ...(hasWebhooks ? ['webhooks'] : []), ...bodySchemas].sort().join(', ')} } from './schema';`);
  out.push('');
  out.push("export type { components, operations, paths, webhooks } from './schema';");
  out.push('/** The spec\'s schemas (components.schemas) under their own names. */');
  out.push(`export type {\n${schemaNames.map((n) => `  ${n},`).join('\n')}\n} from './schema';`);
  out.push(`
export interface ConnectionsClientOptions {
  /** Where the service runs, e.g. \`http://localhost:3000\`. */
  baseUrl: string;
  /** An API key with the scopes of the calls you make (or one of API_KEYS), sent as \`Authorization: Bearer <apiKey>\`. */
  apiKey: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** A fetch to use instead of globalThis.fetch. */
  fetch?: (request: Request) => Promise<Response>;
}

/** Per-call options. */
export interface RequestOptions {
  /** Extra headers for this call, e.g. \`X-Request-Id\`. */
  headers?: Record<string, string>;
  /** Cancels the call. */
  signal?: AbortSignal;
}

${
  webhookOperationIds.length
    ? `/** The operations of the API's routes (a webhook's operation is a request the service sends, not a call). */
export type OperationId = Exclude<keyof operations, ${webhookOperationIds.map((id) => `'${id}'`).join(' | ')}>;`
    : 'export type OperationId = keyof operations;'
}
type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226;
type Responses<K extends OperationId> = operations[K]['responses'];
type JsonBody<R> = R extends { content: { 'application/json': infer T } } ? T : undefined;
/** The body of a 2xx answer of operation K. */
export type OperationData<K extends OperationId> = JsonBody<Responses<K>[Extract<keyof Responses<K>, SuccessStatus>]>;
/** The body of any other answer of operation K documented by the spec (ErrorResponse for every API route). */
export type OperationError<K extends OperationId> = JsonBody<Responses<K>[Exclude<keyof Responses<K>, SuccessStatus>]>;
/**
 * What every method resolves to: \`data\` on a 2xx answer, otherwise \`error\` (the parsed body), and always the
 * fetch \`response\` (status, headers such as X-Request-Id). Network failures reject the promise.
 */
export type OperationResult<K extends OperationId> =
  | { data: OperationData<K>; error?: never; response: Response }
  | { data?: never; error: OperationError<K>; response: Response };
`);
  if (hasProxy(spec)) out.push(PROXY_TYPES);
  if (hasWebhooks) out.push(WEBHOOK_TYPES);
  for (const { name, op } of paramsTypes) {
    const kinds = [op.path.length ? 'path' : '', op.query.length ? 'query' : ''].filter(Boolean).join(' and ');
    out.push(`/** The ${kinds} parameters of \`${op.id}\`. */`);
    out.push(`export type ${name} = ${paramsTypeOf(op)};`);
  }
  out.push('');
  out.push('/** One method per operation of openapi.json, named by its operationId. */');
  out.push('export interface ConnectionsClient {');
  for (const op of operations) {
    out.push(docComment(op, '  '));
    out.push(`  ${signatureOf(op)};`);
  }
  if (hasProxy(spec)) {
    out.push(`  /**
   * Calls the connection's provider API through the service (\`/proxy/{connectionId}/{path}\`): the service adds
   * the token, renews it once on a 401 and replays the call. Resolves to the answer as a fetch Response: the
   * provider's (status, headers, body as they are; \`Proxy-Status\` says \`received-status=…\`), or the service's
   * own ErrorResponse (no Proxy-Status header), e.g. 409 connection_needs_reauth. Requires the \`proxy\` scope.
   */
  proxy(connectionId: string, path: string, init?: ProxyInit): Promise<Response>;`);
  }
  out.push('  /** The underlying openapi-fetch client, e.g. for middleware: `client.raw.use(...)`. */');
  out.push('  readonly raw: Client<paths>;');
  out.push('}');
  out.push(`
/** A client for the service at \`baseUrl\`, authenticated with \`apiKey\`. */
export function createConnectionsClient(options: ConnectionsClientOptions): ConnectionsClient {
  const raw = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: options.fetch,
    headers: { ...options.headers, Authorization: \`Bearer \${options.apiKey}\` },
  });
  return {
    raw,`);
  if (hasProxy(spec)) out.push(PROXY_IMPLEMENTATION);
  for (const op of operations) out.push(implementationOf(op));
  out.push('  };');
  out.push('}');
  out.push('');
  return out.join('\n');
}

async function main() {
  const { spec: specPath, out } = parseArgs(process.argv.slice(2));
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  const operations = collectOperations(spec);
  const ast = await openapiTS(spec, { rootTypes: true, rootTypesNoSchemaPrefix: true, defaultNonNullable: false, silent: true });
  const schema = HEADER('Types of every path, operation and schema of openapi.json (openapi-typescript).') + astToString(ast);
  const index = generateIndex(spec, operations);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'schema.ts'), schema);
  fs.writeFileSync(path.join(out, 'index.ts'), index);
  process.stdout.write(`generated ${path.relative(process.cwd(), out) || '.'}/{schema,index}.ts: ${operations.length} operations, ${Object.keys(spec.components?.schemas ?? {}).length} schemas\n`);
}

main().catch((error) => {
  process.stderr.write(`client:generate failed: ${error.message}\n`);
  process.exit(1);
});
