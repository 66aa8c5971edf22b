import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createConnectionsClient } from '../../clients/typescript/src';
import type {
  Connection,
  ConnectionEventWebhook,
  ConnectionList,
  ConnectionsClient,
  Credentials,
  ErrorResponse,
  GetConnectionCredentialsParams,
  ListConnectionsParams,
  OperationData,
  OperationError,
  OperationId,
  ProviderEventData,
  ProviderEventWebhook,
  WebhookBody,
  webhooks,
} from '../../clients/typescript/src';
import type { WebhookEvent } from '../../src/webhooks/webhook-delivery.entity';

// Compile-time checks (`npm test` type-checks the tests with tsc first): operations read as the spec names them.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typeChecks: [
  Same<OperationData<'listConnections'>, ConnectionList>,
  Same<OperationData<'getConnection'>, Connection>,
  Same<OperationData<'importConnection'>, Connection>,
  Same<OperationData<'getConnectionCredentials'>, Credentials>,
  Same<OperationError<'getConnectionCredentials'>, ErrorResponse>,
  Same<OperationError<'listConnections'>, ErrorResponse>,
  Same<GetConnectionCredentialsParams, { id: string; forceRefresh?: boolean }>,
  Same<
    Pick<ListConnectionsParams, 'provider' | 'limit' | 'cursor'>,
    { provider?: string; limit?: number; cursor?: string }
  >,
  // The webhooks: one per event type the service sends, each body typed.
  Same<keyof webhooks, WebhookEvent>,
  Same<WebhookBody<'provider.event'>, ProviderEventWebhook>,
  Same<WebhookBody<'connection.revoked'>, ConnectionEventWebhook>,
  Same<WebhookBody, ConnectionEventWebhook | ProviderEventWebhook>,
  Same<ProviderEventData['payload'], unknown>,
  Same<ProviderEventData['connectionId'], string | null>,
  Same<ConnectionEventWebhook['data']['error'], { code: string; message: string } | undefined>,
  // A webhook is not an operation the client calls.
  Same<Extract<OperationId, 'providerEventWebhook' | 'connectionCreatedWebhook'>, never>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];

/** Never called: what a receiver writes, told apart by `type`. */
export function receive(body: WebhookBody): string | null {
  if (body.type === 'provider.event') return `${body.data.provider} ${body.data.event} ${body.data.subscriptionId}`;
  return body.data.error?.code ?? body.data.status;
}

/** Never called: tsc must reject these calls. */
export function misuses(client: ConnectionsClient): void {
  // @ts-expect-error the connection id is required
  void client.getConnectionCredentials({ forceRefresh: true });
  // @ts-expect-error forceRefresh is a boolean
  void client.getConnectionCredentials({ id: 'x', forceRefresh: 'yes' });
  // @ts-expect-error an import needs provider, ownerId and accessToken
  void client.importConnection({ provider: 'keap' });
  // @ts-expect-error listConnections has no such filter
  void client.listConnections({ accountId: 'x' });
}

/** Never called: tsc must reject these types. */
export type WebhookMisuses = [
  // @ts-expect-error no such webhook
  WebhookBody<'connection.exploded'>,
];
export function webhookMisuses(body: WebhookBody<'connection.created'>): void {
  // @ts-expect-error a connection event carries no provider payload
  void body.data.payload;
}

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_DIR = path.join(ROOT, 'clients', 'typescript');
const GENERATOR = path.join(PACKAGE_DIR, 'scripts', 'generate.mjs');
const COMMITTED = path.join(PACKAGE_DIR, 'src');

function generate(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [GENERATOR, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function generateInto(dir: string): void {
  const { status, output } = generate(['--out', dir]);
  if (status !== 0) throw new Error(`the generator failed (${status}): ${output}`);
}

/** Files of `dir` that differ from the committed src/, with the first differing line. */
function differences(dir: string): string[] {
  const generated = fs.readdirSync(dir).sort();
  const committed = fs.readdirSync(COMMITTED).sort();
  const problems = [
    ...committed.filter((f) => !generated.includes(f)).map((f) => `${f}: committed but no longer generated`),
    ...generated.filter((f) => !committed.includes(f)).map((f) => `${f}: generated but not committed`),
  ];
  for (const file of generated.filter((f) => committed.includes(f))) {
    const want = fs.readFileSync(path.join(dir, file), 'utf8').split('\n');
    const have = fs.readFileSync(path.join(COMMITTED, file), 'utf8').split('\n');
    const line = want.findIndex((text, i) => text !== have[i]);
    if (line >= 0 || want.length !== have.length) {
      const at = line >= 0 ? line : Math.min(want.length, have.length);
      problems.push(
        `${file}: line ${at + 1} is ${JSON.stringify(have[at])}, the spec gives ${JSON.stringify(want[at])}`,
      );
    }
  }
  return problems;
}

describe('generated TypeScript client (clients/typescript)', () => {
  let tmp: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'client-generate-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is committed and up to date with openapi.json (run `npm run client:generate` after `npm run openapi`)', () => {
    generateInto(path.join(tmp, 'a'));
    expect(differences(path.join(tmp, 'a'))).toEqual([]);
  });

  it('generates the same bytes on every run', () => {
    generateInto(path.join(tmp, 'b'));
    for (const file of fs.readdirSync(path.join(tmp, 'a'))) {
      expect(fs.readFileSync(path.join(tmp, 'b', file), 'utf8')).toBe(
        fs.readFileSync(path.join(tmp, 'a', file), 'utf8'),
      );
    }
  });

  it('type-checks on its own (tsc --noEmit -p clients/typescript, strict)', () => {
    const result = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'tsc'),
      ['--noEmit', '-p', path.join(PACKAGE_DIR, 'tsconfig.json')],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  }, 130_000);

  it('has one method per operationId and exports every schema under its own name', () => {
    expect(typeChecks.every(Boolean)).toBe(true);
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'openapi.json'), 'utf8')) as {
      paths: Record<string, Record<string, { operationId: string; 'x-proxy'?: boolean; 'x-browser'?: boolean }>>;
      components: { schemas: Record<string, unknown> };
    };
    // The proxy's operations (x-proxy) are one helper, proxy(), instead of a method each; the browser's
    // (x-browser: the observe channel, clients/browser calls it) are not a backend client's.
    const operations = Object.values(spec.paths).flatMap((item) => Object.values(item));
    const operationIds = operations.filter((op) => !op['x-proxy'] && !op['x-browser']).map((op) => op.operationId);
    expect(operations.some((op) => op['x-proxy'])).toBe(true);
    expect(operations.filter((op) => op['x-browser']).map((op) => op.operationId)).toEqual(['observeConnectSession']);
    const client = createConnectionsClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'unused' });
    expect(
      Object.keys(client)
        .filter((k) => k !== 'raw')
        .sort(),
    ).toEqual([...operationIds, 'proxy'].sort());
    expect(operationIds).toEqual(
      expect.arrayContaining(['listConnections', 'getConnectionCredentials', 'importConnection']),
    );
    const index = fs.readFileSync(path.join(COMMITTED, 'index.ts'), 'utf8');
    const reexported = /export type \{\n([^}]*)\} from '\.\/schema';/
      .exec(index)?.[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    expect(reexported).toEqual(Object.keys(spec.components.schemas).sort());
    expect(reexported).toEqual(expect.arrayContaining(['Connection', 'ErrorResponse', 'Credentials']));
  });

  it('refuses a webhook it cannot type (not one JSON POST), naming it', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'openapi.json'), 'utf8'));
    spec.webhooks['provider.event'].post.requestBody.content = { 'text/plain': { schema: { type: 'string' } } };
    const file = path.join(tmp, 'webhook-not-json.json');
    fs.writeFileSync(file, JSON.stringify(spec));
    const { status, output } = generate(['--spec', file, '--out', path.join(tmp, 'd')]);
    expect(status).toBe(1);
    expect(output).toContain('webhook provider.event: needs an application/json request body');
  });

  it('refuses a spec it cannot generate a faithful client for, naming the problem', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'openapi.json'), 'utf8'));
    delete spec.paths['/connections'].get.operationId;
    const file = path.join(tmp, 'no-operation-id.json');
    fs.writeFileSync(file, JSON.stringify(spec));
    const { status, output } = generate(['--spec', file, '--out', path.join(tmp, 'c')]);
    expect(status).toBe(1);
    expect(output).toContain('GET /connections: needs an operationId');
    expect(fs.existsSync(path.join(tmp, 'c'))).toBe(false);
  });

  it('is regenerated by the root `client:generate` script', () => {
    const scripts = (
      JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts['client:generate']).toBe('node clients/typescript/scripts/generate.mjs');
  });
});
