import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateOpenApi } from '../../src/openapi';

const ROOT = path.resolve(__dirname, '..', '..');

describe('openapi.json', () => {
  let generated: string;
  let spec: {
    paths: Record<
      string,
      Record<string, { operationId: string; security?: unknown[]; responses: Record<string, unknown> }>
    >;
    components: { schemas: Record<string, unknown> };
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

  it('marks every operation outside /health as needing the API key, and documents its 401', () => {
    for (const [route, item] of Object.entries(spec.paths)) {
      for (const op of Object.values(item)) {
        if (route.startsWith('/health/')) {
          expect(op.security).toEqual([]);
        } else {
          expect(op.security).toEqual([{ bearer: [] }]);
          expect(op.responses['401']).toBeDefined();
        }
      }
    }
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
