import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { loadAppConfig } from '../config/app.config';
import { env, parseEnv } from '../config/env';

const schema = z.object({
  /** 0 turns the worker off (queued revocations stay pending). */
  REVOCATION_INTERVAL_SECONDS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (off) or more')
    .max(86_400, 'must be at most 86400')
    .default(30),
  /** Attempts (by the worker) before a revocation is given up and its tokens deleted. */
  REVOCATION_MAX_ATTEMPTS: env.positiveInt(8, 100),
  REVOCATION_RETRY_BASE_SECONDS: env.positiveInt(60, 86_400),
  REVOCATION_RETRY_MAX_SECONDS: env.positiveInt(21_600, 7 * 86_400),
});

export function loadRevocationsConfig(source = process.env) {
  const app = loadAppConfig(source);
  const v = parseEnv(schema, source);
  return {
    intervalMs: v.REVOCATION_INTERVAL_SECONDS * 1000,
    maxAttempts: v.REVOCATION_MAX_ATTEMPTS,
    retryBaseMs: v.REVOCATION_RETRY_BASE_SECONDS * 1000,
    retryMaxMs: Math.max(v.REVOCATION_RETRY_BASE_SECONDS, v.REVOCATION_RETRY_MAX_SECONDS) * 1000,
    /** A claim outlives the provider call it covers, so no other replica takes the row meanwhile. */
    leaseMs: Math.max(60_000, app.httpTimeoutMs * 2),
  };
}

export const revocationsConfig = registerAs('revocations', () => loadRevocationsConfig());
