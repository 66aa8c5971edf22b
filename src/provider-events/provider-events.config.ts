import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { loadAppConfig } from '../config/app.config';
import { env, parseEnv } from '../config/env';

const schema = z.object({
  /** Inbound event bodies larger than this are refused with 413 before they are read. */
  EVENTS_MAX_BODY_BYTES: env.positiveInt(1024 * 1024, 10 * 1024 * 1024),
  /** A provider's retry of an event within this many hours is answered 2xx and not forwarded again. */
  EVENTS_DEDUPE_HOURS: env.positiveInt(48, 24 * 30),
  /** How often the worker retries unregistering the webhooks of deleted connections; 0 turns it off. */
  EVENTS_REMOVAL_INTERVAL_SECONDS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (off) or more')
    .max(86_400, 'must be at most 86400')
    .default(60),
  /**
   * Attempts before an unregistration is given up (the row is deleted; the provider keeps posting to a
   * URL that answers 404). With the defaults the retries span about a day (1, 2, 4 … 128 minutes, then
   * every 4 hours: about 24 h before jitter), as long as the kept access token is likely to work
   * (Keap's last 24 hours).
   */
  EVENTS_REMOVAL_MAX_ATTEMPTS: env.positiveInt(14, 100),
  EVENTS_REMOVAL_RETRY_BASE_SECONDS: env.positiveInt(60, 86_400),
  EVENTS_REMOVAL_RETRY_MAX_SECONDS: env.positiveInt(14_400, 7 * 86_400),
});

export function loadProviderEventsConfig(source = process.env) {
  const v = parseEnv(schema, source);
  return {
    maxBodyBytes: v.EVENTS_MAX_BODY_BYTES,
    dedupeHours: v.EVENTS_DEDUPE_HOURS,
    removal: {
      intervalMs: v.EVENTS_REMOVAL_INTERVAL_SECONDS * 1000,
      maxAttempts: v.EVENTS_REMOVAL_MAX_ATTEMPTS,
      retryBaseMs: v.EVENTS_REMOVAL_RETRY_BASE_SECONDS * 1000,
      retryMaxMs: Math.max(v.EVENTS_REMOVAL_RETRY_BASE_SECONDS, v.EVENTS_REMOVAL_RETRY_MAX_SECONDS) * 1000,
      /** A claim outlives the provider calls it covers, so no other replica takes the row meanwhile. */
      leaseMs: Math.max(60_000, loadAppConfig(source).httpTimeoutMs * 2),
    },
  };
}

export const providerEventsConfig = registerAs('providerEvents', () => loadProviderEventsConfig());
