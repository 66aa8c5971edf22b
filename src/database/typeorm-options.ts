import * as path from 'node:path';
import type { DataSourceOptions, EntitySchema } from 'typeorm';
import { loadAppConfig } from '../config/app.config';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type for entity classes
type EntityList = (Function | EntitySchema)[];

/**
 * One definition of the connection options for the app, the TypeORM CLI and the drift test.
 *
 * `statementTimeoutMs` (DATABASE_STATEMENT_TIMEOUT_MS unless given; 0 = none) is Postgres'
 * `statement_timeout`, sent by pg when each pooled connection opens: a statement that runs longer
 * fails with 57014 (query_canceled) instead of holding a connection of the pool, and the request
 * waiting on it, indefinitely.
 */
export function typeormOptions(
  url: string,
  poolSize: number,
  entities: EntityList,
  statementTimeoutMs = loadAppConfig().databaseStatementTimeoutMs,
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    // Compiled: dist/migrations/*.js; under ts-node/ts-jest: migrations/*.ts.
    migrations: [path.join(__dirname, '..', '..', 'migrations', '*.{js,ts}')],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    extra: {
      max: poolSize,
      application_name: 'oauth-connections',
      ...(statementTimeoutMs > 0 && { statement_timeout: statementTimeoutMs }),
    },
  };
}
