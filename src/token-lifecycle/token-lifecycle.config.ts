import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { loadAppConfig } from '../config/app.config';
import { ConfigError, env, parseEnv } from '../config/env';

const schema = z.object({
  /** 0 turns the periodic sweep off (the API still refreshes on demand). */
  REFRESH_SWEEP_INTERVAL_SECONDS: z.coerce
    .number({ error: 'must be a whole number' })
    .int()
    .min(0, 'must be 0 (off) or more')
    .max(86_400)
    .default(60),
  CREDENTIALS_SKEW_SECONDS: z.coerce.number({ error: 'must be a whole number' }).int().min(0).max(86_400).default(300),
  REFRESH_LEASE_SECONDS: env.positiveInt(60, 3600),
  REFRESH_MAX_FAILURES: env.positiveInt(5, 1000),
  VERIFY_INTERVAL_HOURS: env.positiveInt(24, 24 * 365),
  REFRESH_BATCH_SIZE: env.positiveInt(100, 10_000),
  REFRESH_CONCURRENCY: env.positiveInt(10, 1000),
  /** Also refresh when the refresh token itself expires within this many days. */
  REFRESH_TOKEN_RENEW_BEFORE_DAYS: env.positiveInt(7, 365),
  /** How long a caller waits for another replica's refresh before answering 503 refresh_in_progress. */
  REFRESH_WAIT_SECONDS: env.positiveInt(15, 600),
  REFRESH_BACKOFF_BASE_SECONDS: env.positiveInt(30, 86_400),
  REFRESH_BACKOFF_MAX_SECONDS: env.positiveInt(3600, 7 * 86_400),
});

export function loadRefreshConfig(source = process.env) {
  const app = loadAppConfig(source);
  const v = parseEnv(schema, source);
  // The lease must outlive the provider call, or a slow answer could let a second replica refresh
  // with the same (rotating) refresh token.
  if (v.REFRESH_LEASE_SECONDS * 1000 < app.httpTimeoutMs * 2) {
    throw new ConfigError([`REFRESH_LEASE_SECONDS: must be at least twice HTTP_TIMEOUT_MS (${app.httpTimeoutMs} ms)`]);
  }
  return {
    sweepIntervalMs: v.REFRESH_SWEEP_INTERVAL_SECONDS * 1000,
    credentialsSkewMs: v.CREDENTIALS_SKEW_SECONDS * 1000,
    leaseMs: v.REFRESH_LEASE_SECONDS * 1000,
    maxFailures: v.REFRESH_MAX_FAILURES,
    verifyIntervalMs: v.VERIFY_INTERVAL_HOURS * 3_600_000,
    batchSize: v.REFRESH_BATCH_SIZE,
    concurrency: v.REFRESH_CONCURRENCY,
    renewBeforeMs: v.REFRESH_TOKEN_RENEW_BEFORE_DAYS * 86_400_000,
    waitMs: v.REFRESH_WAIT_SECONDS * 1000,
    backoffBaseMs: v.REFRESH_BACKOFF_BASE_SECONDS * 1000,
    backoffMaxMs: v.REFRESH_BACKOFF_MAX_SECONDS * 1000,
    httpTimeoutMs: app.httpTimeoutMs,
    /** How long a refresh or check may wait for the call budget: the lease must still cover the call after it. */
    budgetWaitMs: Math.max(0, v.REFRESH_LEASE_SECONDS * 1000 - app.httpTimeoutMs * 2),
  };
}

export const tokenLifecycleConfig = registerAs('refresh', () => loadRefreshConfig());
