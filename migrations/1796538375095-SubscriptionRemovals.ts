import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deleting a connection unregisters its webhooks at the provider (issue 24). When the provider cannot be
 * reached, the subscription row becomes a queue entry (status `removing`) that keeps what the removal
 * needs once the connection row is gone: its access token (encrypted for the subscription row), where
 * its API is and for which account, plus the removal worker's attempts, lease and last error. The
 * CHECK makes a token outside `removing` impossible. Down deletes the pending removals (the connection
 * is gone; without these columns they cannot be retried) before it drops them.
 */
export class SubscriptionRemovals1796538375095 implements MigrationInterface {
  name = 'SubscriptionRemovals1796538375095';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "event_subscriptions"
        ADD "access_token" text,
        ADD "removal_target" jsonb,
        ADD "attempts" integer NOT NULL DEFAULT '0',
        ADD "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE,
        ADD "lease_owner" character varying(128),
        ADD "lease_until" TIMESTAMP(3) WITH TIME ZONE,
        ADD "last_error" character varying(32)
    `);
    await queryRunner.query(`ALTER TABLE "event_subscriptions" DROP CONSTRAINT "ck_event_subscriptions_status"`);
    await queryRunner.query(`
      ALTER TABLE "event_subscriptions"
        ADD CONSTRAINT "ck_event_subscriptions_status" CHECK (status IN ('active', 'pending_verification', 'removing'))
    `);
    await queryRunner.query(`
      CREATE INDEX "ix_event_subscriptions_removal_due" ON "event_subscriptions" ("next_attempt_at")
      WHERE status = 'removing'
    `);
    await queryRunner.query(`
      ALTER TABLE "event_subscriptions"
        ADD CONSTRAINT "ck_event_subscriptions_removal" CHECK (
          (status = 'removing' AND access_token IS NOT NULL AND removal_target IS NOT NULL AND next_attempt_at IS NOT NULL)
          OR (status <> 'removing' AND access_token IS NULL)
        )
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "event_subscriptions" WHERE status = 'removing'`);
    await queryRunner.query(`ALTER TABLE "event_subscriptions" DROP CONSTRAINT "ck_event_subscriptions_removal"`);
    await queryRunner.query(`DROP INDEX "public"."ix_event_subscriptions_removal_due"`);
    await queryRunner.query(`ALTER TABLE "event_subscriptions" DROP CONSTRAINT "ck_event_subscriptions_status"`);
    await queryRunner.query(`
      ALTER TABLE "event_subscriptions"
        ADD CONSTRAINT "ck_event_subscriptions_status" CHECK (status IN ('active', 'pending_verification'))
    `);
    await queryRunner.query(`
      ALTER TABLE "event_subscriptions"
        DROP COLUMN "last_error", DROP COLUMN "lease_until", DROP COLUMN "lease_owner",
        DROP COLUMN "next_attempt_at", DROP COLUMN "attempts", DROP COLUMN "removal_target", DROP COLUMN "access_token"
    `);
  }
}
