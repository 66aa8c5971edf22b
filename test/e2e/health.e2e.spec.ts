import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/app';
import { adminUrl } from '../support/database';
import { waitFor } from '../support/wait';

/**
 * Readiness follows the database. The app runs on its own test database; the test cuts it off on the
 * shared embedded server (terminates its sessions and refuses new ones) and lets it back, without
 * stopping the server other test files use.
 */
describe('/health/ready while the database is down', () => {
  let t: TestApp;
  let admin: Client;
  let database: string;

  beforeAll(async () => {
    t = await startTestApp();
    database = new URL(t.databaseUrl).pathname.slice(1);
    admin = new Client({ connectionString: adminUrl() });
    await admin.connect();
  }, 60_000);
  afterAll(async () => {
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
    await admin.end();
    await t.close();
  });

  const cutOff = async () => {
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [database]);
  };
  const letBack = () => admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);

  it('answers 503 (the database does not answer), and 200 again once it is back', async () => {
    const up = await t.anon.get('/health/ready').expect(200);
    expect(up.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });

    await cutOff();
    try {
      const down = await t.anon.get('/health/ready');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ statusCode: 503, code: 'service_unavailable' });
      expect(down.body.message).toMatch(/database/);
      // Liveness does not depend on the database: the process is fine, only not ready.
      await t.anon.get('/health/live').expect(200);
      // Still down on the next probe (no cached answer, no connection left to fall back on).
      expect((await t.anon.get('/health/ready')).status).toBe(503);
    } finally {
      await letBack();
    }
    // The pool opens new connections once the database takes them again.
    await waitFor(async () => (await t.anon.get('/health/ready')).status === 200, 'ready again', 10_000);
    expect((await t.anon.get('/health/ready').expect(200)).body).toMatchObject({ status: 'ok' });
    // And the API works again.
    await t.api.get('/connections').expect(200);
  });
});
