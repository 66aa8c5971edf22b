import { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys with scopes, made through the API or `npm run api-keys:create`: only the key's SHA-256 is kept. */
export class ApiKeys1795964289331 implements MigrationInterface {
  name = 'ApiKeys1795964289331';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "api_keys" (
        "id" uuid NOT NULL,
        "name" character varying(100) NOT NULL,
        "scopes" text array NOT NULL,
        "secret_hash" character(64) NOT NULL,
        "prefix" character varying(16) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_used_at" TIMESTAMP WITH TIME ZONE,
        "revoked_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_api_keys" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "ux_api_keys_secret_hash" ON "api_keys" ("secret_hash")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_api_keys_active_name" ON "api_keys" ("name") WHERE revoked_at IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
