import { DataSource, DataSourceOptions, Migration, MigrationExecutor } from 'typeorm';
import { ENTITIES } from '../entities';
import { typeormOptions } from './typeorm-options';

/**
 * The options of a DataSource that applies migrations (runMigrations below, the TypeORM CLI in
 * src/data-source.ts): the app's, without DATABASE_STATEMENT_TIMEOUT_MS. That timeout (15 s by default) is
 * for the pool serving requests; a migration that rewrites a big table or builds an index takes as long
 * as it takes, and cancelled mid-way it leaves the deploy stuck (a transactional migration rolls back and
 * the next start tries again, for ever; one that runs outside a transaction stops half done). The
 * `options` startup parameter also turns off a statement_timeout set on the role or database.
 */
export function migrationOptions(
  url: string,
  poolSize = 1,
  entities: DataSourceOptions['entities'] = ENTITIES,
): DataSourceOptions {
  const options = typeormOptions(url, poolSize, [], 0);
  return {
    ...options,
    entities,
    migrationsRun: false,
    extra: { ...(options.extra as Record<string, unknown>), options: '-c statement_timeout=0' },
  };
}

/**
 * Applies the pending migrations on a connection of its own, closed afterwards, with no statement
 * timeout; what the app runs at start before its pool opens (database.module.ts). `SET statement_timeout
 * = 0` on that session, besides the startup parameter: a DATABASE_URL with its own `options` parameter
 * replaces the startup one, the SET is not replaced. Session-wide, so it holds in each migration's
 * transaction and for a migration that runs outside one (`transaction = false`, CREATE INDEX
 * CONCURRENTLY). `migrations`: the list to apply instead of the migrations folder (tests).
 */
export async function runMigrations(url: string, migrations?: DataSourceOptions['migrations']): Promise<Migration[]> {
  const options = migrationOptions(url);
  const dataSource = await new DataSource({ ...options, ...(migrations && { migrations }) }).initialize();
  try {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query('SET statement_timeout = 0');
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = options.migrationsTransactionMode ?? 'each';
      return await executor.executePendingMigrations();
    } finally {
      await runner.release();
    }
  } finally {
    await dataSource.destroy();
  }
}
