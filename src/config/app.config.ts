import { registerAs } from '@nestjs/config';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError, Env, env, nodeEnv, parseEnv } from './env';

const schema = z.object({
  PORT: env.port(3000),
  PUBLIC_URL: env.url().optional(),
  DATA_DIR: z.string().default('.data'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  HTTP_TIMEOUT_MS: env.positiveInt(10_000, 120_000),
  ALLOWED_RETURN_URLS: env.list().pipe(z.array(env.url())).optional(),
  SANDBOX: env.boolean().optional(),
});

type AppConfig = Readonly<ReturnType<typeof parseAppConfig>>;

/** The last environment read and its result: the other modules' loaders read the app config too. */
let last: { key: string; config: AppConfig } | undefined;

/**
 * The app-wide settings. Every module's config loader that needs one (DATA_DIR, PUBLIC_URL,
 * HTTP_TIMEOUT_MS…) calls this; the variables are parsed once per distinct environment.
 */
export function loadAppConfig(source = process.env): AppConfig {
  // DATA_DIR resolves against the working directory, so it is part of the key.
  const key = JSON.stringify([
    process.cwd(),
    source.NODE_ENV,
    ...Object.keys(schema.shape).map((name) => source[name]),
  ]);
  if (last?.key !== key) last = { key, config: Object.freeze(parseAppConfig(source)) };
  return last.config;
}

function parseAppConfig(source: Env) {
  const vars = parseEnv(schema, source);
  const publicUrl = (vars.PUBLIC_URL ?? `http://localhost:${vars.PORT}`).replace(/\/+$/, '');
  if (nodeEnv(source) === 'production' && !secureOrLocal(publicUrl)) {
    // Browsers carry OAuth codes and the flow's binding cookie to PUBLIC_URL: in clear over http.
    throw new ConfigError(['PUBLIC_URL: must be an https URL when NODE_ENV=production (localhost excepted)']);
  }
  return {
    nodeEnv: nodeEnv(source),
    port: vars.PORT,
    publicUrl,
    /** Where the service reaches itself (sandbox calls): the container-internal address, not PUBLIC_URL. */
    internalUrl: `http://127.0.0.1:${vars.PORT}`,
    dataDir: path.resolve(vars.DATA_DIR),
    logLevel: vars.LOG_LEVEL,
    httpTimeoutMs: vars.HTTP_TIMEOUT_MS,
    allowedReturnUrls: vars.ALLOWED_RETURN_URLS ?? [publicUrl],
    /** undefined = decide from provider credentials (see loadProvidersConfig). */
    sandbox: vars.SANDBOX,
  };
}

export const appConfig = registerAs('app', () => loadAppConfig());

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function secureOrLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'https:' || LOCAL_HOSTS.has(hostname);
}
