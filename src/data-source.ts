/**
 * Entry for the TypeORM CLI (`npm run migration:generate -- migrations/Name`, `npm run migration:run`).
 * Uses DATABASE_URL, or starts the same embedded Postgres as the app when it is unset.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from './config/database.config';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { typeormOptions } from './database/typeorm-options';
import { ENTITIES } from './entities';

async function createDataSource(): Promise<DataSource> {
  const config = loadDatabaseConfig();
  const url = config.url ?? (await startEmbeddedPostgres({ dataDir: config.embeddedDir })).url;
  return new DataSource(typeormOptions(url, 2, ENTITIES));
}

export default createDataSource();
