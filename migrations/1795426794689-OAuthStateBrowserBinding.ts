import { MigrationInterface, QueryRunner } from 'typeorm';

export class OAuthStateBrowserBinding1795426794689 implements MigrationInterface {
  name = 'OAuthStateBrowserBinding1795426794689';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "oauth_states"
            ADD "browser_binding" character varying(64)
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "oauth_states" DROP COLUMN "browser_binding"
        `);
  }
}
