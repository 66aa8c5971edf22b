import { registerAs } from '@nestjs/config';
import * as path from 'node:path';
import { z } from 'zod';
import { loadAppConfig } from './app.config';
import { env, parseEnv } from './env';

const schema = z.object({
  DATABASE_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// connection string')
    .optional(),
  DATABASE_POOL_SIZE: env.positiveInt(10, 200),
});

export function loadDatabaseConfig(source = process.env) {
  const app = loadAppConfig(source);
  const vars = parseEnv(schema, source);
  return {
    /** Unset means: start the embedded Postgres under `embeddedDir`. */
    url: vars.DATABASE_URL,
    poolSize: vars.DATABASE_POOL_SIZE,
    embeddedDir: path.join(app.dataDir, 'postgres'),
  };
}

export const databaseConfig = registerAs('database', () => loadDatabaseConfig());
