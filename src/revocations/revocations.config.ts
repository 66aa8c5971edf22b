import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { loadAppConfig } from '../config/app.config';
import { ConfigError, env, parseEnv } from '../config/env';

const schema = z.object({
  /** 0 turns the worker off (queued revocations stay pending). */
  REVOCATION_INTERVAL_SECONDS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (off) or more')
    .max(86_400, 'must be at most 86400')
    .default(30),
  /**
   * How long after it was queued a revocation is still retried: the first failed attempt after this
   * span gives it up (its tokens are deleted). A span, not a count: a provider's outage is measured in
   * hours or days, whatever the backoff.
   */
  REVOCATION_GIVE_UP_HOURS: env.positiveInt(72, 720),
  REVOCATION_RETRY_BASE_SECONDS: env.positiveInt(60, 86_400),
  REVOCATION_RETRY_MAX_SECONDS: env.positiveInt(21_600, 7 * 86_400),
});

/**
 * The count this service used to give up after (8 attempts: about 2 hours with the default backoff).
 * Refused rather than honoured: a deployment that still sets it (the old .env.example did) would keep
 * the 2-hour horizon without a word.
 */
const RETIRED = 'REVOCATION_MAX_ATTEMPTS';

export function loadRevocationsConfig(source = process.env) {
  if (source[RETIRED] !== undefined && source[RETIRED].trim() !== '') {
    throw new ConfigError([
      `${RETIRED}: replaced by REVOCATION_GIVE_UP_HOURS (default 72): revocations are retried over a span of time, not a count of attempts; remove ${RETIRED}`,
    ]);
  }
  const app = loadAppConfig(source);
  const v = parseEnv(schema, source);
  return {
    intervalMs: v.REVOCATION_INTERVAL_SECONDS * 1000,
    giveUpMs: v.REVOCATION_GIVE_UP_HOURS * 3_600_000,
    retryBaseMs: v.REVOCATION_RETRY_BASE_SECONDS * 1000,
    retryMaxMs: Math.max(v.REVOCATION_RETRY_BASE_SECONDS, v.REVOCATION_RETRY_MAX_SECONDS) * 1000,
    /** A claim outlives the provider call it covers, so no other replica takes the row meanwhile. */
    leaseMs: Math.max(60_000, app.httpTimeoutMs * 2),
  };
}

export const revocationsConfig = registerAs('revocations', () => loadRevocationsConfig());
