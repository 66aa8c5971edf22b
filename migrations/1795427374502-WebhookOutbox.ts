import { MigrationInterface, QueryRunner } from 'typeorm';

export class WebhookOutbox1795427374502 implements MigrationInterface {
  name = 'WebhookOutbox1795427374502';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "webhook_deliveries" (
                "id" uuid NOT NULL,
                "event_type" character varying(64) NOT NULL,
                "connection_id" uuid,
                "payload" jsonb NOT NULL,
                "status" character varying(16) NOT NULL DEFAULT 'pending',
                "attempts" integer NOT NULL DEFAULT '0',
                "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "last_status" integer,
                "last_error" character varying(300),
                "delivered_at" TIMESTAMP(3) WITH TIME ZONE,
                "lease_owner" character varying(128),
                "lease_until" TIMESTAMP(3) WITH TIME ZONE,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_webhook_deliveries_created" ON "webhook_deliveries" ("created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_webhook_deliveries_due" ON "webhook_deliveries" ("status", "next_attempt_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."ix_webhook_deliveries_due"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_webhook_deliveries_created"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_deliveries"
        `);
  }
}
