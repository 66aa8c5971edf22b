import { MigrationInterface, QueryRunner } from 'typeorm';

/** Refreshes per hour and provider, succeeded and failed, for the console's overview. */
export class RefreshHistory1795966386622 implements MigrationInterface {
  name = 'RefreshHistory1795966386622';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "refresh_history" (
        "hour" TIMESTAMP WITH TIME ZONE NOT NULL,
        "provider" character varying(64) NOT NULL,
        "succeeded" integer NOT NULL DEFAULT 0,
        "failed" integer NOT NULL DEFAULT 0,
        CONSTRAINT "PK_refresh_history" PRIMARY KEY ("hour", "provider")
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "refresh_history"`);
  }
}
