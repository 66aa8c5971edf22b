import { MigrationInterface, QueryRunner } from 'typeorm';

/** Console sign-ins: the SHA-256 of each session cookie's token, the admin key it was opened with (id and an HMAC of the key's hash), its CSRF token and expiry. */
export class ConsoleSessions1795967319168 implements MigrationInterface {
  name = 'ConsoleSessions1795967319168';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "console_sessions" (
        "token_hash" character(64) NOT NULL,
        "key_id" character varying(64) NOT NULL,
        "key_ref" character varying(128) NOT NULL,
        "csrf" character varying(64) NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_console_sessions" PRIMARY KEY ("token_hash")
      )`);
    await queryRunner.query(`CREATE INDEX "ix_console_sessions_expires" ON "console_sessions" ("expires_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "console_sessions"`);
  }
}
