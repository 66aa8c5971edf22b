import * as path from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { ConnectSessionEntity } from '../connect-sessions/connect-session.entity';
import { ConnectionEntity } from '../connections/connection.entity';
import { OAuthStateEntity } from '../oauth/oauth-state.entity';
import { RefreshBudgetEntity } from '../refresh/refresh-budget.entity';
import { SANDBOX_ENTITIES } from '../sandbox/sandbox.entities';
import { WebhookDeliveryEntity } from '../webhooks/webhook-delivery.entity';

export const ENTITIES = [
  ConnectionEntity,
  ConnectSessionEntity,
  OAuthStateEntity,
  RefreshBudgetEntity,
  WebhookDeliveryEntity,
  ...SANDBOX_ENTITIES,
];

/** One definition of the schema source for the app, the TypeORM CLI and the drift test. */
export function typeormOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    // Compiled: dist/migrations/*.js; under ts-node/ts-jest: migrations/*.ts.
    migrations: [path.join(__dirname, '..', '..', 'migrations', '*.{js,ts}')],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    extra: { max: poolSize, application_name: 'oauth-connections' },
  };
}
