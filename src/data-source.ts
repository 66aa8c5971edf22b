/**
 * Entry for the TypeORM CLI (`npm run migration:generate -- migrations/Name`, `npm run migration:run`).
 * Uses DATABASE_URL, or starts the same embedded Postgres as the app when it is unset.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from './config/database.config';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { migrationOptions } from './database/migrate';
import { ENTITIES } from './entities';

async function createDataSource(): Promise<DataSource> {
  const config = loadDatabaseConfig();
  const url = config.url ?? (await startEmbeddedPostgres({ dataDir: config.embeddedDir })).url;
  // Without the pool's statement_timeout: `migration:run` must not cancel a long migration.
  return new DataSource(migrationOptions(url, 2, ENTITIES));
}

export default createDataSource();
