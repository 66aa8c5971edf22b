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

  it('never synchronize: the app option is off', () => {
    expect(typeormOptions('postgres://x@127.0.0.1/x', 2, ENTITIES).synchronize).toBe(false);
  });
});
