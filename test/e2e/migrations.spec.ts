import { DataSource } from 'typeorm';
import { typeormOptions } from '../../src/database/typeorm-options';
import { ENTITIES } from '../../src/entities';
import { createTestDatabase } from '../support/database';

describe('migrations', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = await new DataSource(typeormOptions(await createTestDatabase(), 2, ENTITIES)).initialize();
  });
  afterAll(() => ds.destroy());

  it('bring an empty database to exactly the schema of the entities (no drift)', async () => {
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.length).toBeGreaterThan(0);
    // What `npm run migration:generate` would write against a freshly migrated database: nothing.
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('revert cleanly, one by one, and re-apply', async () => {
    const count = (await ds.query(`SELECT count(*) FROM typeorm_migrations`))[0].count;
    for (let i = 0; i < Number(count); i++) await ds.undoLastMigration({ transaction: 'each' });
    const tables = await ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations'`,
    );
    expect(tables).toEqual([]);
    await ds.runMigrations({ transaction: 'each' });
    expect((await ds.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });

  it("rewrite stored errors that kept a provider's words to the service's own (StoredErrorsWithoutProviderText)", async () => {
    // Undo the later migrations, then this one.
    const names = (await ds.query(`SELECT name FROM typeorm_migrations ORDER BY id`)).map(
      (r: { name: string }) => r.name,
    );
    const at = names.indexOf('StoredErrorsWithoutProviderText1795959237844');
    expect(at).toBeGreaterThan(0);
    for (let i = names.length - 1; i >= at; i--) await ds.undoLastMigration({ transaction: 'each' });
    const row = (message: string) => ({ code: 'invalid_grant', message, at: '2026-01-01T00:00:00.000Z' });
    const insert = (id: string, message: string) =>
      ds.query(
        `INSERT INTO connections (id, provider, owner_id, account_id, access_token, last_error)
         VALUES ($1, 'keap', $3, 'a', 'v1.k.x', $2)`,
        [id, JSON.stringify(row(message)), `owner-${id}`],
      );
    const ids = [
      '00000000-0000-4000-8000-000000000001',
      '00000000-0000-4000-8000-000000000002',
      '00000000-0000-4000-8000-000000000003',
      '00000000-0000-4000-8000-000000000004',
    ];
    await insert(ids[0], 'Token endpoint answered 400 invalid_grant: code abc123 was already used');
    await insert(ids[1], 'Token endpoint answered 400 <b>at-SECRET-1</b>: whatever');
    await insert(ids[2], 'Token endpoint answered 404 http_404');
    await insert(ids[3], 'API call answered 401');
    await ds.runMigrations({ transaction: 'each' });
    const messages = await ds.query(
      `SELECT last_error->>'message' AS m FROM connections WHERE id = ANY($1) ORDER BY id`,
      [ids],
    );
    expect(messages.map((r: { m: string }) => r.m)).toEqual([
      'Token endpoint answered 400 invalid_grant',
      'Token endpoint answered 400 unknown_error',
      'Token endpoint answered 404 http_404',
      'API call answered 401',
    ]);
    await ds.query(`DELETE FROM connections WHERE id = ANY($1)`, [ids]);
  });

  it('never synchronize: the app option is off', () => {
    expect(typeormOptions('postgres://x@127.0.0.1/x', 2, ENTITIES).synchronize).toBe(false);
  });
});
