import { existsSync } from 'node:fs';
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

const NODE_ENVS = ['development', 'test', 'production'] as const;

/**
 * Reads NODE_ENV the same way everywhere: unset means development (`npm start`); anything but the
 * three known values stops the start, so `prod` or `Production` never silently means development.
 */
export function nodeEnv(source: Env = process.env): (typeof NODE_ENVS)[number] {
  const value = source.NODE_ENV?.trim();
  if (!value) return 'development';
  const known = NODE_ENVS.find((name) => name === value);
  if (!known) throw new ConfigError([`NODE_ENV: must be one of ${NODE_ENVS.join(', ')} (or unset for development)`]);
  return known;
}

/**
 * `.env` in the working directory, if any, into process.env (variables already set win): read first by
 * the service (main.ts) and its commands (keys:rotate, api-keys:create), so they all see the same
 * settings. Never under NODE_ENV=test: a developer's .env must not leak into tests.
 */
export function loadDotEnv(): void {
  if (process.env.NODE_ENV?.trim() !== 'test' && existsSync('.env')) process.loadEnvFile('.env');
}
