import * as path from 'node:path';
import type { DataSourceOptions, EntitySchema } from 'typeorm';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type for entity classes
type EntityList = (Function | EntitySchema)[];

/** One definition of the connection options for the app, the TypeORM CLI and the drift test. */
export function typeormOptions(url: string, poolSize: number, entities: EntityList): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    // Compiled: dist/migrations/*.js; under ts-node/ts-jest: migrations/*.ts.
    migrations: [path.join(__dirname, '..', '..', 'migrations', '*.{js,ts}')],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    extra: { max: poolSize, application_name: 'oauth-connections' },
  };
}
