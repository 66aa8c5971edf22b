import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { loadAppConfig } from '../config/app.config';
import { env, parseEnv } from '../config/env';
import { loadRefreshConfig } from '../token-lifecycle/token-lifecycle.config';

const MB = 1024 * 1024;

const schema = z.object({
  /** Request bodies are buffered (so a call can be replayed after a refresh) up to this; above it 413. */
  PROXY_MAX_BODY_BYTES: env.positiveInt(10 * MB, 100 * MB),
  /** Longest wait for the provider's response headers, and for each chunk of its body after that. */
  PROXY_TIMEOUT_MS: env.positiveInt(30_000, 300_000),
  /**
   * A provider 401 renews a connection's token only when its stored token was not renewed within this
   * many seconds; inside that window the 401 goes back as it is.
   */
  PROXY_RENEW_MIN_INTERVAL_SECONDS: env.positiveInt(30, 86_400),
  /**
   * How long (ms) a replica reuses a connection's token for further calls after reading it (the row and
   * its decrypt); 0 reads it on every call. A token refreshed, replaced or revoked elsewhere is not sent
   * after this (docs/security.md).
   */
  PROXY_TOKEN_CACHE_MS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (off) or more')
    .max(10_000, 'must be at most 10000 (10 s)')
    .default(1000),
});

export function loadProxyConfig(source = process.env) {
  const v = parseEnv(schema, source);
  return {
    maxBodyBytes: v.PROXY_MAX_BODY_BYTES,
    timeoutMs: v.PROXY_TIMEOUT_MS,
    renewMinIntervalMs: v.PROXY_RENEW_MIN_INTERVAL_SECONDS * 1000,
    tokenCacheMs: v.PROXY_TOKEN_CACHE_MS,
    /** CREDENTIALS_SKEW_SECONDS: a refreshable token this close to its expiry is never reused from memory. */
    credentialsSkewMs: loadRefreshConfig(source).credentialsSkewMs,
    /**
     * Production: a target on a private address is refused, unless it is its provider's configured API
     * host and `<P>_ALLOW_PRIVATE_API_HOST=true` says that host may be one.
     */
    guardPrivateAddresses: loadAppConfig(source).nodeEnv === 'production',
  };
}

export const proxyConfig = registerAs('proxy', () => loadProxyConfig());
