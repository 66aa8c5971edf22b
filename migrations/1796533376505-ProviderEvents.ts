import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Provider events (issue 24): the webhooks registered at providers for a connection
 * (event_subscriptions: the URL token only as its SHA-256, the provider's signing secret encrypted) and
 * the genuine events received (inbound_events: no payload; unique per provider and dedupe key, so a
 * provider's retry stores and forwards nothing twice).
 */
export class ProviderEvents1796533376505 implements MigrationInterface {
  name = 'ProviderEvents1796533376505';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "event_subscriptions" (
                "id" uuid NOT NULL,
                "connection_id" uuid NOT NULL,
                "provider" character varying(64) NOT NULL,
                "events" text array NOT NULL,
                "status" character varying(32) NOT NULL,
                "token_hash" character varying(64) NOT NULL,
                "remote_ids" text array NOT NULL DEFAULT '{}',
                "secret" text,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "ck_event_subscriptions_status" CHECK (status IN ('active', 'pending_verification')),
                CONSTRAINT "PK_9e4944140dfbdb8a75c8f3d9bce" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "ux_event_subscriptions_token" ON "event_subscriptions" ("token_hash")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_event_subscriptions_connection" ON "event_subscriptions" ("connection_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "inbound_events" (
                "id" uuid NOT NULL,
                "provider" character varying(64) NOT NULL,
                "dedupe_key" character varying(300) NOT NULL,
                "subscription_id" uuid,
                "connection_id" uuid,
                "event_type" character varying(255) NOT NULL,
                "event_id" character varying(255),
                "received_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "delivery_id" uuid,
                CONSTRAINT "PK_b76e26fa0121da742b191b7ded0" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_received" ON "inbound_events" ("received_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_connection" ON "inbound_events" ("connection_id", "received_at")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "ux_inbound_events_dedupe" ON "inbound_events" ("provider", "dedupe_key")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."ux_inbound_events_dedupe"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_connection"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_received"
        `);
    await queryRunner.query(`
            DROP TABLE "inbound_events"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_event_subscriptions_connection"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ux_event_subscriptions_token"
        `);
    await queryRunner.query(`
            DROP TABLE "event_subscriptions"
        `);
  }
}
