import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Connections the user uninstalled at the provider (status `revoked`, issue 24): the row stays with
 * `revoked_at` and without tokens (access_token may now be NULL, and is NULL exactly when revoked), so
 * a reconnect of the same account revives it under the same id. An index for finding the connections
 * of a provider-side account (an uninstall event names the account). Rows that already said `revoked`
 * (no code path set it before) get the shape the constraint asks for: revoked at their last update,
 * tokens deleted. Down puts an empty marker where the access token was; the status stays `revoked`,
 * which the code before this migration already refused to hand out.
 */
export class RevokedConnections1796532926097 implements MigrationInterface {
  name = 'RevokedConnections1796532926097';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "connections" ADD "revoked_at" TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "connections" ALTER COLUMN "access_token" DROP NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX "ix_connections_provider_account" ON "connections" ("provider", "account_id")`,
    );
    await queryRunner.query(`
      UPDATE "connections"
         SET revoked_at = updated_at, access_token = NULL, refresh_token = NULL, expires_at = NULL,
             refresh_token_expires_at = NULL, token_version = token_version + 1, lease_owner = NULL, lease_until = NULL
       WHERE status = 'revoked'`);
    await queryRunner.query(`
      ALTER TABLE "connections" ADD CONSTRAINT "ck_connections_revoked_tokens" CHECK (
        (status = 'revoked' AND revoked_at IS NOT NULL AND access_token IS NULL AND refresh_token IS NULL)
        OR (status <> 'revoked' AND revoked_at IS NULL AND access_token IS NOT NULL)
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "connections" DROP CONSTRAINT "ck_connections_revoked_tokens"`);
    await queryRunner.query(`UPDATE "connections" SET access_token = '' WHERE access_token IS NULL`);
    await queryRunner.query(`DROP INDEX "public"."ix_connections_provider_account"`);
    await queryRunner.query(`ALTER TABLE "connections" ALTER COLUMN "access_token" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "connections" DROP COLUMN "revoked_at"`);
  }
}
