import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.setup';
import { createTestDatabase } from './database';
import { LogCapture } from './logs';

export const TEST_API_KEY = `test_${randomBytes(16).toString('hex')}`;
export const TEST_KEY_A = `ka:${randomBytes(32).toString('base64')}`;
export const TEST_KEY_B = `kb:${randomBytes(32).toString('base64')}`;

type EnvPatch = Record<string, string | undefined>;

/** Sets env for the duration of `fn` only: config is read while the app is created. */
export async function withEnv<T>(patch: EnvPatch, fn: () => Promise<T>): Promise<T> {
  const saved: EnvPatch = {};
  for (const [key, value] of Object.entries(patch)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    return await fn();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  databaseUrl: string;
  dataDir: string;
  logs: LogCapture;
  dataSource: DataSource;
  /** supertest against the listening app, with the API key already set. */
  api: {
    get(path: string): request.Test;
    post(path: string): request.Test;
    patch(path: string): request.Test;
    delete(path: string): request.Test;
  };
  /** supertest without credentials. */
  anon: ReturnType<typeof request>;
  close(): Promise<void>;
}

/** The HTTP side of a TestApp. */
export type HttpClientOf = Pick<TestApp, 'api' | 'anon' | 'baseUrl'>;

/** supertest helpers for a service running elsewhere (e.g. a spawned `node dist/src/main`). */
export function remoteApp(baseUrl: string, apiKey: string): HttpClientOf {
  const anon = request(baseUrl);
  const auth = (test: request.Test) => test.set('Authorization', `Bearer ${apiKey}`);
  return {
    baseUrl,
    anon,
    api: {
      get: (p) => auth(anon.get(p)),
      post: (p) => auth(anon.post(p)),
      patch: (p) => auth(anon.patch(p)),
      delete: (p) => auth(anon.delete(p)),
    },
  };
}

export interface TestAppOptions {
  databaseUrl?: string;
  env?: EnvPatch;
  /** Listen on this port and make PUBLIC_URL point at it (browser flows need real URLs). */
  port?: number;
  /** Called with the created app before it listens (e.g. to add a global interceptor in a test). */
  configure?: (app: NestFastifyApplication) => void;
}

/** The real app (same setup as main.ts) on a random port, over a fresh database unless one is given. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-test-data-'));
  const logs = new LogCapture();
  const app = await withEnv(
    {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      API_KEYS: TEST_API_KEY,
      ENCRYPTION_KEYS: TEST_KEY_A,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      PUBLIC_URL: options.port ? `http://127.0.0.1:${options.port}` : undefined,
      PORT: options.port ? String(options.port) : undefined,
      SANDBOX: undefined,
      // Tests drive the sweep with runOnce(now) unless they turn the timer on.
      REFRESH_SWEEP_INTERVAL_SECONDS: '0',
      REVOCATION_INTERVAL_SECONDS: '0',
      // Suites drive many connect flows from 127.0.0.1 in a minute; the limit has its own tests.
      OAUTH_RATE_LIMIT_PER_MINUTE: '0',
      ...options.env,
    },
    async () => {
      const created = await createApp({ logStream: logs });
      options.configure?.(created);
      await created.listen(options.port ?? 0, '127.0.0.1');
      return created;
    },
  );
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const auth = (test: request.Test) => test.set('Authorization', `Bearer ${TEST_API_KEY}`);
  const anon = request(baseUrl);
  return {
    app,
    baseUrl,
    databaseUrl,
    dataDir,
    logs,
    dataSource: app.get(DataSource),
    anon,
    api: {
      get: (p) => auth(anon.get(p)),
      post: (p) => auth(anon.post(p)),
      patch: (p) => auth(anon.patch(p)),
      delete: (p) => auth(anon.delete(p)),
    },
    close: async () => {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
