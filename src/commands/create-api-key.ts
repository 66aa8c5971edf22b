/**
 * `npm run api-keys:create -- --name ops --scopes admin[,metrics…]`: makes an API key without the API
 * (the first admin key of a deployment, or one for a script). The key is printed once, alone on
 * stdout (`KEY=$(npm run -s api-keys:create -- …)` works); everything else goes to stderr.
 * Uses DATABASE_URL, or the embedded Postgres under DATA_DIR (stop the service first in that case:
 * one embedded server per data directory). Applies pending migrations first, so it works on a new
 * database too (the same migrations the service applies when it starts). Reads `.env` like the
 * service. Replicas that are running know the key at once (they look an unseen key up by its hash).
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { runMigrations } from '../database/migrate';
import { CreateApiKeyRequest } from '../auth/api-key.dto';
import { ApiKeyEntity } from '../auth/api-key.entity';
import { ApiKeysRepository } from '../auth/api-keys.repository';
import { validateNewApiKey } from '../auth/api-keys.service';
import { SCOPES } from '../auth/scopes';
import { DomainError, ValidationFailed } from '../common/errors';
import { loadDatabaseConfig } from '../config/database.config';
import { ConfigError, loadDotEnv } from '../config/env';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from '../database/embedded-postgres';
import { typeormOptions } from '../database/typeorm-options';
import { ENTITIES } from '../entities';

const USAGE = `usage: npm run api-keys:create -- --name <name> --scopes <scope>[,<scope>…]\nscopes: ${SCOPES.join(', ')}`;

class UsageError extends Error {}

async function parseRequest(argv: string[]): Promise<CreateApiKeyRequest> {
  let values: { name?: string; scopes?: string[] };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { name: { type: 'string' }, scopes: { type: 'string', multiple: true } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.name === undefined || !values.scopes) throw new UsageError('--name and --scopes are required');
  try {
    return await validateNewApiKey({
      name: values.name,
      scopes: values.scopes.flatMap((s) => s.split(',').map((scope) => scope.trim())).filter(Boolean),
    });
  } catch (error) {
    if (error instanceof ValidationFailed) throw new UsageError(error.message);
    throw error;
  }
}

/** Which database, for the operator (never the password of DATABASE_URL). */
function describe(url: string | undefined, embeddedDir: string): string {
  if (!url) return `the embedded Postgres under ${embeddedDir}`;
  const parsed = new URL(url);
  return `DATABASE_URL (${parsed.hostname}:${parsed.port || 5432}${parsed.pathname})`;
}

async function main(): Promise<void> {
  loadDotEnv();
  const request = await parseRequest(process.argv.slice(2));
  const database = loadDatabaseConfig();
  process.stderr.write(`Using ${describe(database.url, database.embeddedDir)}\n`);
  let embedded: EmbeddedPostgresHandle | undefined;
  let dataSource: DataSource | undefined;
  try {
    const url = database.url ?? (embedded = await startEmbeddedPostgres({ dataDir: database.embeddedDir })).url;
    // Migrations without the pool's statement_timeout (database/migrate.ts), as the app applies them.
    await runMigrations(url);
    dataSource = await new DataSource({ ...typeormOptions(url, 1, ENTITIES), migrationsRun: false }).initialize();
    const { row, key } = await new ApiKeysRepository(dataSource.getRepository(ApiKeyEntity)).create(
      request.name,
      request.scopes,
    );
    process.stderr.write(
      `Created API key "${row.name}" (id ${row.id}, scopes ${row.scopes.join(', ')}). Store it now: it is not shown again.\n`,
    );
    process.stdout.write(`${key}\n`);
  } finally {
    await dataSource?.destroy();
    await embedded?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`);
    else if (error instanceof ConfigError || error instanceof DomainError) console.error(error.message);
    else console.error(`api-keys:create failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
