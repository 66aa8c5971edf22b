import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * The pg Pool behind TypeORM's Postgres driver (same connections, same type parsers), for the one
 * statement where TypeORM's per-query QueryRunner (acquire, broadcast, release) costs more than the
 * query itself: the credentials hot path. Everything else goes through TypeORM.
 */
export function pgPool(dataSource: DataSource): Pool {
  const driver = dataSource.driver;
  const pool = driver instanceof PostgresDriver ? (driver.master as Pool | undefined) : undefined;
  if (!pool || typeof pool.query !== 'function')
    throw new Error('pgPool: the data source is not an initialized Postgres connection');
  return pool;
}
