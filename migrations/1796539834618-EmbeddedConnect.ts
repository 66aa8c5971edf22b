import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Embedded connect (issue 25): a connect session may offer several providers (`providers`; `provider`
 * becomes the one the flow went to, set when the link is opened, so it may be null until then), may be
 * a reconnect of a connection (`reconnect_connection_id`), is observable with a token of its own (only
 * its SHA-256, `observe_token_hash`), keeps the opener page's origin (`origin`), and records how its
 * flow ended: `status` pending / connected / error, with `connection_id` or `error`.
 *
 * Existing rows: `providers` is their one provider; a session with a connection is `connected`; any
 * other stays `pending`, which the API reports as `expired` once its time has passed (the outcome of
 * an old failed flow was never stored, so it is not invented here). They have no observe token: they
 * cannot be observed, as before. Down keeps the provider of every row (the first of its list where
 * none was chosen yet) so the column can be NOT NULL again.
 */
export class EmbeddedConnect1796539834618 implements MigrationInterface {
  name = 'EmbeddedConnect1796539834618';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "connect_sessions"
        ADD "providers" character varying(64) array,
        ADD "reconnect_connection_id" uuid,
        ADD "observe_token_hash" character varying(64),
        ADD "origin" text,
        ADD "status" character varying(16) NOT NULL DEFAULT 'pending',
        ADD "error" character varying(32)
    `);
    await queryRunner.query(`
      UPDATE "connect_sessions"
         SET "providers" = ARRAY["provider"],
             "status" = CASE WHEN "connection_id" IS NOT NULL THEN 'connected' ELSE 'pending' END
    `);
    await queryRunner.query(`
      ALTER TABLE "connect_sessions"
        ALTER COLUMN "providers" SET NOT NULL,
        ALTER COLUMN "provider" DROP NOT NULL
    `);
    await queryRunner.query(`
      ALTER TABLE "connect_sessions"
        ADD CONSTRAINT "ck_connect_sessions_status" CHECK (status IN ('pending', 'connected', 'error')),
        ADD CONSTRAINT "ck_connect_sessions_outcome" CHECK (
          (status = 'pending' AND connection_id IS NULL AND error IS NULL)
          OR (status = 'connected' AND connection_id IS NOT NULL AND error IS NULL)
          OR (status = 'error' AND connection_id IS NULL AND error IS NOT NULL)
        ),
        ADD CONSTRAINT "ck_connect_sessions_provider" CHECK (provider IS NULL OR provider = ANY (providers))
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "connect_sessions"
        DROP CONSTRAINT "ck_connect_sessions_provider",
        DROP CONSTRAINT "ck_connect_sessions_outcome",
        DROP CONSTRAINT "ck_connect_sessions_status"
    `);
    await queryRunner.query(`UPDATE "connect_sessions" SET "provider" = "providers"[1] WHERE "provider" IS NULL`);
    await queryRunner.query(`ALTER TABLE "connect_sessions" ALTER COLUMN "provider" SET NOT NULL`);
    await queryRunner.query(`
      ALTER TABLE "connect_sessions"
        DROP COLUMN "error", DROP COLUMN "status", DROP COLUMN "origin", DROP COLUMN "observe_token_hash",
        DROP COLUMN "reconnect_connection_id", DROP COLUMN "providers"
    `);
  }
}
