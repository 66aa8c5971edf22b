import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { env, parseEnv } from '../config/env';

const schema = z.object({
  /** Inbound event bodies larger than this are refused with 413 before they are read. */
  EVENTS_MAX_BODY_BYTES: env.positiveInt(1024 * 1024, 10 * 1024 * 1024),
  /** A provider's retry of an event within this many hours is answered 2xx and not forwarded again. */
  EVENTS_DEDUPE_HOURS: env.positiveInt(48, 24 * 30),
});

export function loadProviderEventsConfig(source = process.env) {
  const v = parseEnv(schema, source);
  return { maxBodyBytes: v.EVENTS_MAX_BODY_BYTES, dedupeHours: v.EVENTS_DEDUPE_HOURS };
}

export const providerEventsConfig = registerAs('providerEvents', () => loadProviderEventsConfig());
