import { SandboxHousekeeping } from '../../src/dev/sandbox/sandbox-housekeeping';
import { OAuthHousekeeping } from '../../src/oauth/oauth-housekeeping';
import { startTestApp, TestApp } from '../support/app';

describe('housekeeping of flow records', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('deletes connect sessions and states expired for more than a day, and nothing else', async () => {
    await t.dataSource.query('DELETE FROM oauth_states');
    await t.dataSource.query('DELETE FROM connect_sessions');
    // Real flow records: each connect link opened once, which stores its OAuth state.
    const opened = async (ownerId: string): Promise<string> => {
      const session = await t.api.post('/connect-sessions').send({ provider: 'keap', ownerId }).expect(201);
      const link = new URL(session.body.url);
      await t.anon.get(`${link.pathname}${link.search}`).redirects(0).expect(302);
      return session.body.id;
    };
    const fresh = await opened('hk-fresh');
    const recent = await opened('hk-recent');
    const old = await opened('hk-old');
    const age = async (sessionId: string, hours: number) => {
      await t.dataSource.query(
        `UPDATE connect_sessions SET expires_at = now() - make_interval(hours => $2) WHERE id = $1`,
        [sessionId, hours],
      );
      await t.dataSource.query(
        `UPDATE oauth_states SET expires_at = now() - make_interval(hours => $2) WHERE connect_session_id = $1`,
        [sessionId, hours],
      );
    };
    await age(old, 25); // expired more than a day ago: goes
    await age(recent, 23); // expired, but less than a day ago: stays
    const statesOf = async () =>
      (await t.dataSource.query(`SELECT connect_session_id FROM oauth_states ORDER BY connect_session_id`)).map(
        (r: { connect_session_id: string }) => r.connect_session_id,
      );
    expect(await statesOf()).toEqual([fresh, recent, old].sort());

    const purged = await t.app.get(OAuthHousekeeping).purge();
    expect(purged).toEqual({ states: 1, sessions: 1 });
    const sessionsLeft = await t.dataSource.query(`SELECT id FROM connect_sessions ORDER BY id`);
    expect(sessionsLeft.map((r: { id: string }) => r.id)).toEqual([fresh, recent].sort());
    expect(await statesOf()).toEqual([fresh, recent].sort());
  });

  it('purges simulator rows older than a day, keeping tokens that still work', async () => {
    const sandbox = t.app.get(SandboxHousekeeping);
    const insertToken = (hash: string, ageHours: number, extra: string) =>
      t.dataSource.query(
        `INSERT INTO sandbox.tokens (token_hash, provider, kind, grant_id, account, scope, expires_at, used_at, revoked_at, created_at)
         VALUES ($1, 'webflow', 'access', gen_random_uuid(), '{}', '', ${extra}, now() - make_interval(hours => $2))`,
        [hash, ageHours],
      );
    await t.dataSource.query(`DELETE FROM sandbox.tokens`);
    await insertToken('a'.repeat(64), 48, 'NULL, NULL, NULL'); // old but live (Webflow tokens never expire)
    await insertToken('b'.repeat(64), 48, `now() - interval '1 hour', NULL, NULL`); // old and expired
    await insertToken('c'.repeat(64), 48, `NULL, NULL, now() - interval '30 hours'`); // old and revoked
    await insertToken('d'.repeat(64), 2, `NULL, NULL, now()`); // revoked, but recent
    await t.dataSource.query(
      `INSERT INTO sandbox.calls (provider, endpoint, status, created_at) VALUES
         ('keap', 'token', 200, now() - interval '2 days'), ('keap', 'token', 200, now())`,
    );
    const purged = await sandbox.purge();
    expect(purged).toMatchObject({ tokens: 2, calls: 1 });
    const tokens = await t.dataSource.query(`SELECT left(token_hash, 1) AS t FROM sandbox.tokens ORDER BY 1`);
    expect(tokens).toEqual([{ t: 'a' }, { t: 'd' }]);
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM sandbox.calls`)).toEqual([{ n: 1 }]);
  });
});
