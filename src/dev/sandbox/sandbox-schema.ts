import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { SANDBOX_ENTITIES, SANDBOX_SCHEMA } from './sandbox.entities';

/** One key for pg_advisory_lock: replicas starting together create the schema one after the other. */
const SCHEMA_LOCK = 7_463_290_118;

/**
 * Creates the simulators' tables, in their own schema, when the development module starts: TypeORM's
 * schema sync limited to these entities, on a short-lived connection of its own. The service's schema
 * changes only through migrations; this schema exists only where the development module runs.
 */
@Injectable()
export class SandboxSchema implements OnModuleInit {
  private readonly logger = new Logger('Sandbox');

  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const lock = this.dataSource.createQueryRunner();
    await lock.connect();
    try {
      // Waiting for another replica's schema sync is not a slow statement.
      await lock.query('SET statement_timeout = 0');
      await lock.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
      // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists: a role
      // that only owns a schema a DBA made must not need it.
      const found = (await lock.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [SANDBOX_SCHEMA])) as unknown[];
      const exists = found.length > 0;
      if (!exists) await lock.query(`CREATE SCHEMA ${SANDBOX_SCHEMA}`);
      const options = this.dataSource.options as PostgresConnectionOptions;
      const sandbox = new DataSource({
        type: 'postgres',
        url: options.url,
        entities: SANDBOX_ENTITIES,
        extra: { max: 1, application_name: 'oauth-connections-sandbox-schema' },
      });
      await sandbox.initialize();
      try {
        await sandbox.synchronize();
      } finally {
        await sandbox.destroy();
      }
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'could not release the sandbox schema lock');
      });
      await lock.query('RESET statement_timeout').catch(() => undefined);
      await lock.release();
    }
  }
}
