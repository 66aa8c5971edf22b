import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { env, parseEnv } from '../config/env';

const schema = z.object({
  /** Entries older than this are deleted (hourly, in batches). */
  ACTIVITY_RETENTION_DAYS: env.positiveInt(30, 3650),
});

export function loadActivityConfig(source = process.env) {
  const v = parseEnv(schema, source);
  return { retentionDays: v.ACTIVITY_RETENTION_DAYS, retentionMs: v.ACTIVITY_RETENTION_DAYS * 86_400_000 };
}

export const activityConfig = registerAs('activity', () => loadActivityConfig());
