import { registerAs } from '@nestjs/config';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError, Env, env, nodeEnv, parseEnv } from './env';

const schema = z.object({
  PORT: env.port(3000),
  /** The interface to listen on; default 0.0.0.0 in production (a container), 127.0.0.1 otherwise. */
  HOST: z
    .string()
    .regex(/^[0-9a-fA-F:.]+$|^localhost$/, 'must be an IP address or localhost')
    .optional(),
  PUBLIC_URL: env.url().optional(),
  DATA_DIR: z.string().default('.data'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  HTTP_TIMEOUT_MS: env.positiveInt(10_000, 120_000),
  // The server's own clocks (docs/security.md "Limits and timeouts"): a whole request (headers and body)
  // must arrive within REQUEST_TIMEOUT_MS, its headers within REQUEST_HEADERS_TIMEOUT_MS (at most the
  // former), and an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS.
  REQUEST_TIMEOUT_MS: env.positiveInt(30_000, 600_000),
  REQUEST_HEADERS_TIMEOUT_MS: env.positiveInt(10_000, 600_000),
  KEEP_ALIVE_TIMEOUT_MS: env.positiveInt(72_000, 600_000),
  ALLOWED_RETURN_URLS: env.list().pipe(z.array(env.url())).optional(),
  SANDBOX: env.boolean().optional(),
  // Requests per minute one client (IP address; an IPv6 /64) may make to /oauth/*; 0 turns the limit off.
  OAUTH_RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be at least 0 (0 turns the limit off)')
    .max(100_000, 'must be at most 100000')
    .default(60),
  // Console sign-in attempts (POST /admin/sign-in) per client and minute; 0 turns the limit off.
  ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be at least 0 (0 turns the limit off)')
    .max(10_000, 'must be at most 10000')
    .default(10),
  // Deliveries per minute to one event subscription's URL (/events/{provider}/{token}), or to one
  // provider's app-level route (/events/{provider}); 0 turns the limit off.
  EVENTS_RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be at least 0 (0 turns the limit off)')
    .max(1_000_000, 'must be at most 1000000')
    .default(1200),
  // Which proxies in front of the service may say who the client is (X-Forwarded-For): see trustProxyOf.
  TRUST_PROXY: z
    .string()
    .transform((v, ctx) => {
      const trusted = trustProxyOf(v);
      if (trusted === undefined)
        ctx.addIssue({
          code: 'custom',
          message:
            'must be false, a number of proxy hops, or a comma-separated list of proxy addresses, CIDR ranges, loopback, linklocal or uniquelocal',
        });
      return trusted ?? false;
    })
    .optional(),
  // Longest a single SQL statement may run on a pooled connection (Postgres statement_timeout); 0 = no limit.
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be at least 0 (0 = no limit)')
    .max(2_147_483_647, 'must be at most 2147483647')
    .default(15_000),
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
    host: vars.HOST ?? (nodeEnv(source) === 'production' ? '0.0.0.0' : '127.0.0.1'),
    publicUrl,
    /** Where the service reaches itself (sandbox calls): the container-internal address, not PUBLIC_URL. */
    internalUrl: `http://127.0.0.1:${vars.PORT}`,
    dataDir: path.resolve(vars.DATA_DIR),
    logLevel: vars.LOG_LEVEL,
    httpTimeoutMs: vars.HTTP_TIMEOUT_MS,
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS,
    /** Node refuses a headers timeout longer than the request timeout. */
    headersTimeoutMs: Math.min(vars.REQUEST_HEADERS_TIMEOUT_MS, vars.REQUEST_TIMEOUT_MS),
    keepAliveTimeoutMs: vars.KEEP_ALIVE_TIMEOUT_MS,
    allowedReturnUrls: vars.ALLOWED_RETURN_URLS ?? [publicUrl],
    /** undefined = decide from provider credentials (see loadProvidersConfig). */
    sandbox: vars.SANDBOX,
    /** Per client and minute on /oauth/*; 0 = no limit. */
    oauthRateLimitPerMinute: vars.OAUTH_RATE_LIMIT_PER_MINUTE,
    /** Per client and minute on POST /admin/sign-in; 0 = no limit. */
    signInRateLimitPerMinute: vars.ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE,
    /** Per event subscription (or app-level events route) and minute; 0 = no limit. */
    eventsRateLimitPerMinute: vars.EVENTS_RATE_LIMIT_PER_MINUTE,
    /** Fastify's `trustProxy`: false (the socket's address is the client), a hop count or the proxies' addresses. */
    trustProxy: vars.TRUST_PROXY ?? false,
    /** Postgres statement_timeout of every pooled connection, in ms; 0 = no limit. */
    databaseStatementTimeoutMs: vars.DATABASE_STATEMENT_TIMEOUT_MS,
  };
}

export const appConfig = registerAs('app', () => loadAppConfig());

const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY → Fastify's trustProxy (proxy-addr): `false`/`0` trust no proxy; `N` trusts the N
 * nearest hops; otherwise a list of addresses, CIDR ranges or proxy-addr's named ranges. Plain `true`
 * (trust every hop, so any client could name itself in X-Forwarded-For) is not accepted.
 * undefined = not a valid value.
 */
function trustProxyOf(value: string): false | number | string[] | undefined {
  if (value.toLowerCase() === 'false' || value === '0') return false;
  if (/^\d+$/.test(value)) return Number(value) <= 10 ? Number(value) : undefined;
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const valid = (entry: string) => {
    if (PROXY_RANGES.has(entry)) return true;
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    if (!family || rest.length) return false;
    return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  };
  return entries.length && entries.every(valid) ? entries : undefined;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function secureOrLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'https:' || LOCAL_HOSTS.has(hostname);
}
