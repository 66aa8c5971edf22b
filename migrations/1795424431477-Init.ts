import { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1795424431477 implements MigrationInterface {
  name = 'Init1795424431477';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "connections" (
                "id" uuid NOT NULL,
                "provider" character varying(64) NOT NULL,
                "owner_id" character varying(255) NOT NULL,
                "status" character varying(32) NOT NULL DEFAULT 'active',
                "account_id" character varying(255) NOT NULL,
                "team_id" character varying(255),
                "team_name" character varying(255),
                "workspace_id" character varying(255),
                "workspace_name" character varying(255),
                "api_base_url" text,
                "scopes" text array NOT NULL DEFAULT '{}',
                "token_type" character varying(32) NOT NULL DEFAULT 'Bearer',
                "access_token" text NOT NULL,
                "refresh_token" text,
                "expires_at" TIMESTAMP(3) WITH TIME ZONE,
                "refresh_token_expires_at" TIMESTAMP(3) WITH TIME ZONE,
                "last_refreshed_at" TIMESTAMP(3) WITH TIME ZONE,
                "next_refresh_at" TIMESTAMP(3) WITH TIME ZONE,
                "refresh_failures" integer NOT NULL DEFAULT '0',
                "last_error" jsonb,
                "lease_owner" character varying(128),
                "lease_until" TIMESTAMP(3) WITH TIME ZONE,
                "token_version" integer NOT NULL DEFAULT '1',
                "metadata" jsonb NOT NULL DEFAULT '{}',
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "uq_connections_provider_owner_account" UNIQUE ("provider", "owner_id", "account_id"),
                CONSTRAINT "ck_connections_status" CHECK (
                    status IN (
                        'active',
                        'refresh_failed',
                        'expired',
                        'needs_reauth',
                        'revoked'
                    )
                ),
                CONSTRAINT "PK_0a1f844af3122354cbd487a8d03" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_connections_status_created" ON "connections" ("status", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_connections_owner_created" ON "connections" ("owner_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_connections_provider_created" ON "connections" ("provider", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "ix_connections_created" ON "connections" ("created_at", "id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."ix_connections_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_connections_provider_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_connections_owner_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."ix_connections_status_created"
        `);
    await queryRunner.query(`
            DROP TABLE "connections"
        `);
  }
}
