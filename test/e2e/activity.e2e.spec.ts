import { Client } from 'pg';
import { freePort } from '../../src/database/embedded-postgres';
import { tokenContext } from '../../src/connections/token-context';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { startTestApp, TestApp } from '../support/app';
import { consoleSignIn } from '../support/console';
import { createTestDatabase, rawClient } from '../support/database';
import { addFault, clearSandbox, connectThroughSandbox } from '../support/sandbox-flow';

/** An entry as GET /connections/{id}/activity lists it. */
interface Entry {
  type: string;
  at: string;
  status: string | null;
  previousStatus: string | null;
  code: string | null;
  subscriptionId: string | null;
  events: string[] | null;
  statusClass: string | null;
  calls: number | null;
}

/** Every entry of a connection, page by page (`limit` per page), newest first. */
async function allActivity(t: TestApp, id: string, limit = 100): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  do {
    const res: { body: { data: Entry[]; nextCursor: string | null } } = await t.api
      .get(`/connections/${id}/activity`)
      .query({ limit, ...(cursor ? { cursor } : {}) })
      .expect(200);
    entries.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return entries;
}

/**
 * A connection's activity (issue 28) written by two replicas on one database, each change in its own
 * transaction, read back from either and after a restart; on the console's connection page; and
 * without a token, a provider's text or anything but our own codes in the stored rows.
 */
describe('connection activity across two replicas', () => {
  let databaseUrl: string;
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  /** The replica started after both others stopped. */
  let restarted: TestApp | undefined;
  let db: Client;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    a = await startTestApp({ databaseUrl, port: await freePort() });
    b = await startTestApp({ databaseUrl, port: await freePort() });
    db = await rawClient(databaseUrl);
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    await a?.close();
    await b?.close();
    await restarted?.close();
  });

  /** The tokens the connection holds now, in plaintext and as stored: none may be in an entry. */
  async function tokensOf(t: TestApp, id: string): Promise<string[]> {
    const [row] = await t.dataSource.query('SELECT access_token, refresh_token FROM connections WHERE id = $1', [id]);
    const cipher = t.app.get(TokenCipher);
    return [
      row.access_token,
      row.refresh_token,
      cipher.decrypt(row.access_token, tokenContext(id, 'access_token')),
      cipher.decrypt(row.refresh_token, tokenContext(id, 'refresh_token')),
    ];
  }

  it('connect → refresh → failed refresh → reconnect → delete: those entries in order, from either replica and after a restart; the console shows them; no secret in the rows', async () => {
    if (!a || !b) throw new Error('the replicas did not start');
    await clearSandbox(a, 'keap');
    const secrets: string[] = [];

    // Connected on A.
    const id = await connectThroughSandbox(a, 'keap', 'activity-owner');
    secrets.push(...(await tokensOf(a, id)));
    // Refreshed on B.
    await b.api.post(`/connections/${id}/refresh`).expect(200);
    secrets.push(...(await tokensOf(b, id)));
    // The next refresh, on A, is refused: invalid_grant, so the connection needs its user.
    await addFault(a, 'keap', { endpoint: 'refresh', kind: 'invalid_grant' });
    const refused = await a.api.post(`/connections/${id}/refresh`).expect(409);
    expect(refused.body.code).toBe('connection_needs_reauth');
    const failed = (await a.api.get(`/connections/${id}`).expect(200)).body;
    expect(failed).toMatchObject({ status: 'needs_reauth', lastError: { code: 'invalid_grant' } });
    // The provider's words are in the stored last error, never in an entry.
    secrets.push(failed.lastError.message);
    // The user reconnects the same account, through B: same connection.
    expect(await connectThroughSandbox(b, 'keap', 'activity-owner')).toBe(id);
    secrets.push(...(await tokensOf(b, id)));

    const expected = [
      { type: 'reconnected', status: 'active', previousStatus: null, code: null },
      { type: 'status_changed', status: 'needs_reauth', previousStatus: 'active', code: 'invalid_grant' },
      { type: 'refresh_failed', status: null, previousStatus: null, code: 'invalid_grant' },
      { type: 'refreshed', status: null, previousStatus: null, code: null },
      { type: 'connected', status: 'active', previousStatus: null, code: null },
    ];
    const beforeDelete = await allActivity(a, id);
    expect(
      beforeDelete.map(({ type, status, previousStatus, code }) => ({ type, status, previousStatus, code })),
    ).toEqual(expected);
    for (const e of beforeDelete)
      expect(e).toMatchObject({ subscriptionId: null, events: null, statusClass: null, calls: null });
    // Newest first, by the database's clock, whichever replica wrote them.
    const times = beforeDelete.map((e) => Date.parse(e.at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);

    // The console's connection page (on B) shows the same, newest first, with the codes.
    const session = await consoleSignIn(b);
    const page = await b.anon.get(`/admin/connections/${id}`).set('Cookie', session.cookie).expect(200);
    const timeline = /<ol class="timeline" id="activity"[^>]*>([\s\S]*?)<\/ol>/.exec(page.text)?.[1] ?? '';
    const shown = [...timeline.matchAll(/<li data-activity-type="([a-z_]+)">([\s\S]*?)<\/li>/g)];
    expect(shown.map((m) => m[1])).toEqual(expected.map((e) => e.type));
    const failedLine = shown.find((m) => m[1] === 'refresh_failed')![2];
    expect(failedLine).toContain('Refresh failed');
    expect(failedLine).toContain('<code>invalid_grant</code>');
    expect(shown.find((m) => m[1] === 'status_changed')![2]).toContain('active → needs_reauth');
    expect(timeline).toContain(`datetime="${beforeDelete[0].at}"`);

    // Deleted on A; B lists it, newest first, page by page as in one page.
    await a.api.delete(`/connections/${id}`).expect(200);
    await a.api.get(`/connections/${id}`).expect(404);
    const all = await allActivity(b, id);
    expect(all.map((e) => e.type)).toEqual(['deleted', ...expected.map((e) => e.type)]);
    expect(all[0]).toMatchObject({ status: 'active', code: null });
    expect(await allActivity(b, id, 2)).toEqual(all);

    // Nothing secret in the rows themselves: no token (plaintext or envelope), no provider text, only
    // our own codes; the columns are the ones the table declares.
    const { rows } = await db.query(
      'SELECT a.*, row_to_json(a)::text AS json FROM connection_activity a WHERE connection_id = $1',
      [id],
    );
    expect(rows).toHaveLength(all.length);
    for (const row of rows) {
      for (const secret of secrets) expect(row.json).not.toContain(secret);
      expect(Object.keys(JSON.parse(row.json)).sort()).toEqual(
        [
          'calls',
          'code',
          'connection_id',
          'created_at',
          'events',
          'id',
          'previous_status',
          'status',
          'status_class',
          'subscription_id',
          'type',
        ].sort(),
      );
      if (row.code !== null) expect(row.code).toMatch(/^[a-z_]+$/);
    }

    // A restart (both replicas gone, a new one on the same database): the same entries.
    await a.close();
    await b.close();
    a = b = undefined;
    restarted = await startTestApp({ databaseUrl, port: await freePort() });
    expect(await allActivity(restarted, id)).toEqual(all);
  }, 120_000);
});
