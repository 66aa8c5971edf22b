import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `last_error` messages written before the service stopped keeping providers' words: they could carry
 * a provider's free-text error_description and an unfiltered `error` value. Rewritten to what the
 * service writes now: `Token endpoint answered <status> <known OAuth error code | http_<status> |
 * unknown_error>`. Irreversible by design: down leaves the redacted messages as they are.
 */
export class StoredErrorsWithoutProviderText1795959237844 implements MigrationInterface {
  name = 'StoredErrorsWithoutProviderText1795959237844';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      WITH old AS (
        SELECT id,
               substring(last_error->>'message' from '^Token endpoint answered ([0-9]+) ') AS status,
               substring(last_error->>'message' from '^Token endpoint answered [0-9]+ ([^ :]*)') AS code
          FROM connections
         WHERE last_error->>'message' ~ '^Token endpoint answered [0-9]+ '
      )
      UPDATE connections c
         SET last_error = jsonb_set(c.last_error, '{message}', to_jsonb(
               'Token endpoint answered ' || old.status || ' ' ||
               CASE WHEN old.code IN ('invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client',
                                      'unsupported_grant_type', 'invalid_scope', 'access_denied', 'server_error',
                                      'temporarily_unavailable', 'invalid_token', 'insufficient_scope')
                      OR old.code ~ '^http_[0-9]{3}$'
                    THEN old.code ELSE 'unknown_error' END))
        FROM old
       WHERE c.id = old.id
    `);
  }

  public async down(): Promise<void> {
    // The providers' words are gone on purpose.
  }
}
