import { MigrationInterface, QueryRunner } from 'typeorm';

export class TokenLifecycle1795426236453 implements MigrationInterface {
  name = 'TokenLifecycle1795426236453';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "refresh_budgets" (
                "provider" character varying(64) NOT NULL,
                "tokens" double precision NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_52951cddb93221a2c25c0365f9e" PRIMARY KEY ("provider")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "connections"
            ADD "next_verify_at" TIMESTAMP(3) WITH TIME ZONE
        `);
    await queryRunner.query(`
            ALTER TABLE "connections"
            ADD "last_verified_at" TIMESTAMP(3) WITH TIME ZONE
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_connections_verify_due" ON "connections" ("provider", "next_verify_at")
            WHERE refresh_token IS NULL
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_connections_refresh_horizon" ON "connections" ("provider", "refresh_token_expires_at")
            WHERE refresh_token IS NOT NULL
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_connections_refresh_due" ON "connections" ("provider", "expires_at")
            WHERE refresh_token IS NOT NULL
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."ix_connections_refresh_due"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_connections_refresh_horizon"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_connections_verify_due"
        `);
    await queryRunner.query(`
            ALTER TABLE "connections" DROP COLUMN "last_verified_at"
        `);
    await queryRunner.query(`
            ALTER TABLE "connections" DROP COLUMN "next_verify_at"
        `);
    await queryRunner.query(`
            DROP TABLE "refresh_budgets"
        `);
  }
}
