import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hand-written (TypeORM does not model UNLOGGED): the refresh budget is a token bucket that every
 * refresh updates, on one row per provider. In a logged table each take waits for its WAL flush while
 * holding that row's lock, which made the row the refresh sweep's bottleneck (mean 6.5 ms per take
 * in `npm run bench`). Unlogged, a take commits without a WAL flush. After a crash Postgres empties
 * the table; RefreshBudget re-creates a missing row (a full bucket, as on first use).
 */
export class RefreshBudgetUnlogged1795435949952 implements MigrationInterface {
  name = 'RefreshBudgetUnlogged1795435949952';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refresh_budgets" SET UNLOGGED`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refresh_budgets" SET LOGGED`);
  }
}
