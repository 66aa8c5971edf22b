import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each connection's activity (issue 28, docs/operations.md "Activity"): an append-only history kept
 * ACTIVITY_RETENTION_DAYS, without a foreign key so a deleted connection's entries stay until they age
 * out. `created_at` is the database's clock at the statement (milliseconds, as the keyset cursor
 * carries it) and the identity `id` orders one transaction's entries; a `proxy_calls` row counts one
 * connection's calls of one hour (`created_at` its start) in one status class, added to by the
 * replicas' upserts on the partial unique index. Statuses, the service's codes and event names only.
 */
export class ConnectionActivity1796542492779 implements MigrationInterface {
  name = 'ConnectionActivity1796542492779';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "connection_activity" (
        "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        "connection_id" uuid NOT NULL,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(),
        "type" character varying(32) NOT NULL,
        "status" character varying(32),
        "previous_status" character varying(32),
        "code" character varying(64),
        "subscription_id" uuid,
        "events" character varying(255) array,
        "status_class" smallint,
        "calls" integer,
        CONSTRAINT "ck_connection_activity_proxy_calls" CHECK (
          (type = 'proxy_calls') = (status_class IS NOT NULL AND calls IS NOT NULL)
        ),
        CONSTRAINT "ck_connection_activity_type" CHECK (
          type IN ('connected', 'reconnected', 'refreshed', 'refresh_failed', 'verified', 'verify_failed',
                   'status_changed', 'revoked', 'subscription_created', 'subscription_removed', 'inbound_event',
                   'deleted', 'proxy_calls')
        ),
        CONSTRAINT "PK_connection_activity" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX "ux_connection_activity_proxy_calls" ON "connection_activity" ("connection_id", "created_at", "status_class")
      WHERE type = 'proxy_calls'`);
    await queryRunner.query(`CREATE INDEX "ix_connection_activity_created" ON "connection_activity" ("created_at")`);
    await queryRunner.query(
      `CREATE INDEX "ix_connection_activity_connection" ON "connection_activity" ("connection_id", "created_at", "id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_connection_activity_connection"`);
    await queryRunner.query(`DROP INDEX "public"."ix_connection_activity_created"`);
    await queryRunner.query(`DROP INDEX "public"."ux_connection_activity_proxy_calls"`);
    await queryRunner.query(`DROP TABLE "connection_activity"`);
  }
}
