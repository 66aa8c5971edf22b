import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { env, parseEnv } from '../config/env';

const schema = z.object({
  /** The operator console at /admin (every mode); false leaves it out. */
  ADMIN_CONSOLE: env.boolean().optional(),
});

export function loadConsoleConfig(source = process.env) {
  const v = parseEnv(schema, source);
  return {
    enabled: v.ADMIN_CONSOLE ?? true,
    /** A session lasts this long from sign-in. */
    sessionTtlMs: 8 * 3_600_000,
  };
}

export const consoleConfig = registerAs('console', () => loadConsoleConfig());
