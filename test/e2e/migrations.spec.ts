import { Client } from 'pg';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { migrationOptions, runMigrations } from '../../src/database/migrate';
import { typeormOptions } from '../../src/database/typeorm-options';
import { ENTITIES } from '../../src/entities';
import { startTestApp, TestApp, withEnv } from '../support/app';
import { createTestDatabase, rawClient } from '../support/database';
import { waitFor } from '../support/wait';

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

/**
 * Issue 27: DATABASE_STATEMENT_TIMEOUT_MS is the pool's statement_timeout, for requests. Migrations run
 * without it, so one that rewrites a big table is not cancelled mid-way.
 */
describe('migrations run without the statement timeout', () => {
  const TIMEOUT_MS = 100;

  /** Sleeps five times the timeout, in the migration's transaction. */
  class SlowInTransaction1700000000001 implements MigrationInterface {
    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`SELECT pg_sleep(${(5 * TIMEOUT_MS) / 1000})`);
      await runner.query('CREATE TABLE slow_in_transaction (id int)');
    }
    async down(runner: QueryRunner): Promise<void> {
      await runner.query('DROP TABLE slow_in_transaction');
    }
  }

  /** The same outside a transaction, like CREATE INDEX CONCURRENTLY has to be. */
  class SlowOutsideTransaction1700000000002 implements MigrationInterface {
    readonly transaction = false;
    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`SELECT pg_sleep(${(5 * TIMEOUT_MS) / 1000})`);
      await runner.query('CREATE TABLE slow_outside_transaction (id int)');
    }
    async down(runner: QueryRunner): Promise<void> {
      await runner.query('DROP TABLE slow_outside_transaction');
    }
  }

  it('a migration longer than DATABASE_STATEMENT_TIMEOUT_MS, and than the database default, completes', async () => {
    const url = await createTestDatabase();
    const admin = await rawClient(url);
    try {
      // A statement_timeout on the database itself, as a managed Postgres may set one.
      const name = (await admin.query('SELECT current_database() AS name')).rows[0].name as string;
      await admin.query(`ALTER DATABASE "${name}" SET statement_timeout = ${TIMEOUT_MS}`);
      await withEnv({ DATABASE_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) }, async () => {
        // The pool's connections do have the timeout: the same sleep is cancelled there.
        const pool = await new DataSource(typeormOptions(url, 1, [])).initialize();
        try {
          expect(await pool.query('SHOW statement_timeout')).toEqual([{ statement_timeout: `${TIMEOUT_MS}ms` }]);
          await expect(pool.query(`SELECT pg_sleep(${(5 * TIMEOUT_MS) / 1000})`)).rejects.toMatchObject({
            driverError: { code: '57014' },
          });
        } finally {
          await pool.destroy();
        }
        const applied = await runMigrations(url, [SlowInTransaction1700000000001, SlowOutsideTransaction1700000000002]);
        expect(applied.map((m) => m.name)).toEqual([
          'SlowInTransaction1700000000001',
          'SlowOutsideTransaction1700000000002',
        ]);
      });
      const tables = await admin.query(
        `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'slow_%' ORDER BY table_name`,
      );
      expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual([
        'slow_in_transaction',
        'slow_outside_transaction',
      ]);
    } finally {
      await admin.end();
    }
  });

  it('the TypeORM CLI data source (src/data-source.ts) opens its connections without it', async () => {
    const url = await createTestDatabase();
    const cli = await withEnv({ DATABASE_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) }, () =>
      new DataSource(migrationOptions(url, 2, ENTITIES)).initialize(),
    );
    try {
      expect(await cli.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '0' }]);
    } finally {
      await cli.destroy();
    }
  });

  /**
   * The app's start: its migrations are quick, so one of their statements is held behind a lock until it
   * has run for three times the timeout, which a statement under the timeout cannot live to do.
   */
  it('at the app start, a migration statement outlives DATABASE_STATEMENT_TIMEOUT_MS; the pool keeps it', async () => {
    const url = await createTestDatabase();
    const holder = await rawClient(url);
    const watcher = await rawClient(url);
    let outcome: Promise<{ app: TestApp } | { error: unknown }> | undefined;
    try {
      // The table TypeORM reads first (which migrations ran), locked so that read waits.
      await holder.query(
        `CREATE TABLE typeorm_migrations (id SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL)`,
      );
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE typeorm_migrations IN ACCESS EXCLUSIVE MODE');
      outcome = startTestApp({ databaseUrl: url, env: { DATABASE_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) } }).then(
        (app) => ({ app }),
        (error: unknown) => ({ error }),
      );
      await waitFor(
        () => waitingLongerThan(watcher, 3 * TIMEOUT_MS),
        `a migration statement waiting on the lock for ${3 * TIMEOUT_MS} ms`,
        20_000,
      );
      await holder.query('COMMIT');
      const started = await outcome;
      if ('error' in started) throw started.error;
      const t = started.app;
      expect(await t.dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: `${TIMEOUT_MS}ms` }]);
      const applied = await t.dataSource.query('SELECT count(*)::int AS n FROM typeorm_migrations');
      expect(applied[0].n).toBeGreaterThan(0);
      expect(applied[0].n).toBe(t.dataSource.migrations.length);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      // Settles either way (started, or failed after TypeORM's retries): never leave an app running.
      const started = await outcome;
      if (started && 'app' in started) await started.app.close();
      await holder.end();
      await watcher.end();
    }
  }, 60_000);
});

/** Whether a statement of the service has been waiting on a lock for longer than `ms`. */
async function waitingLongerThan(client: Client, ms: number): Promise<boolean> {
  const { rows } = await client.query(
    `SELECT 1 FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'oauth-connections' AND wait_event_type = 'Lock'
        AND state = 'active' AND clock_timestamp() - query_start > make_interval(secs => $1::float8 / 1000)`,
    [ms],
  );
  return rows.length > 0;
}
