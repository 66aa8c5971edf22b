import { z } from 'zod';

/**
 * Thrown when an environment variable has a value the service cannot run with.
 * The message names the variable and the rule, never the value (it may be a secret).
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** Parses `env` with a zod object whose keys are variable names; empty strings count as unset. */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const present: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') present[key] = value.trim();
  }
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`));
  }
  return result.data;
}

/** Reusable field types. Messages describe the rule, never echo the input. */
export const env = {
  port: (fallback: number) =>
    z.coerce.number({ error: 'must be a port number' }).int().min(1).max(65535).default(fallback),
  positiveInt: (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(max, `must be at most ${max}`)
      .default(fallback),
  boolean: () =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' })
      .transform((v) => ['true', '1', 'yes', 'on'].includes(v)),
  url: () =>
    z.string().refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, 'must be an absolute http(s) URL'),
  list: () =>
    z.string().transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
};

/** Reads NODE_ENV the same way everywhere. */
export function nodeEnv(source: Env = process.env): 'development' | 'production' | 'test' {
  const value = source.NODE_ENV?.trim();
  if (value === 'production' || value === 'test') return value;
  return 'development';
}
