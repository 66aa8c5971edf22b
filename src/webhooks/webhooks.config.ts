import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { ConfigError, env, parseEnv } from '../config/env';

const schema = z.object({
  WEBHOOK_URL: env.url().optional(),
  /**
   * Standard Webhooks secrets: `whsec_` + base64 of 24–64 random bytes, several separated by commas or
   * spaces while rotating (each delivery is signed with each, so receivers can switch at their pace).
   */
  WEBHOOK_SECRET: z.string().optional(),
  /** Delivered and failed deliveries older than this are deleted (hourly). */
  WEBHOOK_RETENTION_DAYS: env.positiveInt(30, 3650),
  WEBHOOK_MAX_ATTEMPTS: env.positiveInt(10, 100),
  WEBHOOK_RETRY_BASE_SECONDS: env.positiveInt(5, 3600),
  WEBHOOK_RETRY_MAX_SECONDS: env.positiveInt(3600, 86_400),
  /** 0 turns the dispatcher off (deliveries stay pending in the outbox). */
  WEBHOOK_DISPATCH_INTERVAL_MS: z.coerce
    .number({ error: 'must be a whole number' })
    .int()
    .min(0)
    .max(3_600_000)
    .default(1000),
  /**
   * Deliveries in flight at once per replica. Delivery is not ordered (receivers dedupe on webhook-id),
   * so one slow answer need not hold the others back.
   */
  WEBHOOK_DISPATCH_CONCURRENCY: env.positiveInt(8, 64),
});

export function loadWebhooksConfig(source = process.env) {
  const v = parseEnv(schema, source);
  const secrets = (v.WEBHOOK_SECRET ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((value) => {
      const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value);
      const secret = match ? Buffer.from(match[1], 'base64') : undefined;
      if (!secret || secret.length < 24 || secret.length > 64)
        throw new ConfigError(['WEBHOOK_SECRET: each secret must be whsec_ followed by base64 of 24 to 64 bytes']);
      return secret;
    });
  if (v.WEBHOOK_URL && !secrets.length) throw new ConfigError(['WEBHOOK_SECRET: is required when WEBHOOK_URL is set']);
  return {
    url: v.WEBHOOK_URL,
    /** Every delivery is signed with each, in the order WEBHOOK_SECRET lists them. */
    secrets,
    retentionMs: v.WEBHOOK_RETENTION_DAYS * 86_400_000,
    maxAttempts: v.WEBHOOK_MAX_ATTEMPTS,
    retryBaseMs: v.WEBHOOK_RETRY_BASE_SECONDS * 1000,
    retryMaxMs: v.WEBHOOK_RETRY_MAX_SECONDS * 1000,
    dispatchIntervalMs: v.WEBHOOK_DISPATCH_INTERVAL_MS,
    dispatchConcurrency: v.WEBHOOK_DISPATCH_CONCURRENCY,
  };
}

export const webhooksConfig = registerAs('webhooks', () => loadWebhooksConfig());
