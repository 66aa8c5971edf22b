import { Client } from 'pg';
import { hashSecret } from '../../src/crypto/secret-hash';
import { rawClient } from '../support/database';
import { startTestApp, TestApp } from '../support/app';
import { cookiesOf } from '../support/sandbox-flow';
import { StubProvider } from '../support/stub-provider';
import { waitFor } from '../support/wait';

const RETURN_URL = 'https://app.example.test/integrations/done';
/** Requests fired at once on one single-use value. */
const RACERS = 2;
/** A request the service never answers fails the test here, not as a jest timeout. */
const ANSWER_WITHIN_MS = 5000;

interface Answer {
  status: number | string;
  headers: Record<string, string>;
}

/**
 * A connect link and a flow state are single use. These tests make the requests really race: each round
 * holds the row they compete for under a lock taken from another database session, fires the requests
 * at once, waits until every one of them is blocked on that lock inside its consuming statement
 * (pg_stat_activity), then lets go. So each of them has read the row (it looked unused to all) and all
 * are in flight together at the one statement that decides: a check-then-write (read, then an
 * unconditional update or delete) lets them all through, one conditional statement lets one.
 */
describe('single-use values under racing requests', () => {
  const stub = new StubProvider();
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    await stub.start();
    t = await startTestApp({ env: { ...stub.env, ALLOWED_RETURN_URLS: 'https://app.example.test/integrations' } });
    db = await rawClient(t.databaseUrl);
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    await t?.close();
    await stub.stop();
  });
  beforeEach(() => stub.reset());

  async function connectSession(ownerId: string): Promise<{ id: string; path: string }> {
    const { body } = await t.api
      .post('/connect-sessions')
      .send({ provider: 'stub', ownerId, returnUrl: RETURN_URL })
      .expect(201);
    const link = new URL(body.url);
    return { id: body.id, path: `${link.pathname}${link.search}` };
  }

  /** A connect session whose link was opened: its flow state and the browser's binding cookie. */
  async function startedFlow(ownerId: string) {
    const session = await connectSession(ownerId);
    const authorize = await t.anon.get(session.path).redirects(0).expect(302);
    const state = new URL(authorize.headers.location).searchParams.get('state')!;
    return { ownerId, session, state, cookie: cookiesOf(authorize) };
  }

  const open = (path: string): Promise<Answer> =>
    t.anon
      .get(path)
      .redirects(0)
      .timeout(ANSWER_WITHIN_MS)
      .then(
        (res) => res,
        (error: Error) => ({ status: error.message, headers: {} }),
      );
  const callback = (flow: { state: string; cookie: string }, code: string): Promise<Answer> =>
    t.anon
      .get('/oauth/stub/callback')
      .query({ code, state: flow.state })
      .set('Cookie', flow.cookie)
      .redirects(0)
      .timeout(ANSWER_WITHIN_MS)
      .then(
        (res) => res,
        (error: Error) => ({ status: error.message, headers: {} }),
      );

  /** Where a flow answer sends the browser: the return URL's query, or `at_provider` with the state. */
  function landing(res: Answer): Record<string, string> {
    expect(res.status).toBe(302);
    const url = new URL(res.headers.location);
    if (`${url.origin}${url.pathname}` === `${stub.fake.url}/authorize`)
      return { status: 'at_provider', state: url.searchParams.get('state')! };
    expect(`${url.origin}${url.pathname}`).toBe(RETURN_URL);
    // Every ending names its session, a connected one its provider: left out, each test states the rest.
    const { sessionId, provider, ...rest } = Object.fromEntries(url.searchParams);
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(provider).toBe(rest.status === 'connected' ? 'stub' : undefined);
    return rest;
  }

  /**
   * Runs `fire` while `lockSql` (a SELECT … FOR UPDATE of the contested rows) holds them from another
   * session; lets go once `count` statements on `table` wait for that lock.
   */
  async function raceOnLockedRows<T>(
    lockSql: string,
    params: unknown[],
    table: string,
    count: number,
    fire: () => Promise<T>,
  ): Promise<T> {
    await db.query('BEGIN');
    try {
      await db.query(lockSql, params);
      const racing = fire();
      await waitFor(async () => {
        // Activity is read once per transaction unless the snapshot is cleared.
        await db.query('SELECT pg_stat_clear_snapshot()');
        const { rows } = await db.query<{ query: string }>(
          `SELECT query FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
        );
        return rows.filter((r) => new RegExp(`\\b${table}\\b`).test(r.query)).length >= count;
      }, `${count} requests blocked at the statement on ${table}`);
      await db.query('COMMIT');
      return await racing;
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  const tokenOf = async (connectionId: string) =>
    (await t.api.get(`/connections/${connectionId}/credentials`).expect(200)).body.accessToken;

  it('two opens of one connect link at once: exactly one proceeds to the provider, the other ends with invalid_state', async () => {
    for (let round = 0; round < 3; round++) {
      const session = await connectSession(`link-race-${round}`);
      const answers = await raceOnLockedRows(
        'SELECT 1 FROM connect_sessions WHERE id = $1 FOR UPDATE',
        [session.id],
        'connect_sessions',
        RACERS,
        () => Promise.all(Array.from({ length: RACERS }, () => open(session.path))),
      );
      const landed = answers.map(landing);
      expect(landed.filter((l) => l.status === 'at_provider')).toHaveLength(1);
      expect(landed.filter((l) => l.status !== 'at_provider')).toEqual(
        Array(RACERS - 1).fill({ status: 'error', error: 'invalid_state' }),
      );
      // The link started one flow only.
      const states = await db.query('SELECT count(*)::int AS n FROM oauth_states WHERE connect_session_id = $1', [
        session.id,
      ]);
      expect(states.rows[0].n).toBe(1);
    }
  });

  it('two callbacks with one state at once: exactly one exchanges the code and connects, the other ends with invalid_state', async () => {
    for (let round = 0; round < 3; round++) {
      const flow = await startedFlow(`callback-race-${round}`);
      // Enough answers for every racer: a second winner would connect too, not fail at the provider.
      for (let i = 0; i < RACERS; i++) stub.tokenAnswers.push(() => StubProvider.tokens(`${flow.ownerId}-${i}`));
      const answers = await raceOnLockedRows(
        'SELECT 1 FROM oauth_states WHERE connect_session_id = $1 FOR UPDATE',
        [flow.session.id],
        'oauth_states',
        RACERS,
        () => Promise.all(Array.from({ length: RACERS }, () => callback(flow, `code-${round}`))),
      );
      const landed = answers.map(landing);
      expect(landed.filter((l) => l.status === 'connected')).toEqual([
        { status: 'connected', connectionId: expect.any(String) },
      ]);
      expect(landed.filter((l) => l.status !== 'connected')).toEqual(
        Array(RACERS - 1).fill({ status: 'error', error: 'invalid_state' }),
      );
      // One code exchange, one connection, holding that exchange's tokens.
      expect(stub.fake.requestsTo('/token').map((r) => r.body.code)).toEqual([`code-${round}`]);
      const { body: list } = await t.api.get('/connections').query({ ownerId: flow.ownerId }).expect(200);
      const winner = landed.find((l) => l.connectionId)!.connectionId;
      expect(list.data.map((c: { id: string }) => c.id)).toEqual([winner]);
      expect(await tokenOf(winner)).toBe(`at-${flow.ownerId}-0`);
      stub.reset();
    }
  });

  /*
   * Two users' flows at one provider at the same moment. These failed before the fix: OAuthFlowService
   * handed the provider's one shared Strategy instance to passport.authenticate, and passport, given an instance
   * rather than a name, does not copy it (passport/lib/middleware/authenticate.js: `strategy = layer`)
   * but assigns its per-request redirect/success/fail/error closures onto it. So the later request's
   * closures answer the earlier one's flow: one user gets the other's authorize redirect and the other
   * never gets an answer; on the callback, one user's tokens are stored as the other user's connection
   * and the other request hangs. Handing passport a per-request object (`Object.create(strategy)`) fixes
   * both; src/oauth/oauth-flow.service.ts does (both tests fail without it).
   */
  /** Users whose flows meet at one moment, and rounds of it (each round must be right). */
  const USERS = 4;
  const ROUNDS = 3;

  it('users opening their own links at the same moment: each is sent to the provider with its own flow', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const sessions: { id: string; path: string }[] = [];
      for (let u = 0; u < USERS; u++) sessions.push(await connectSession(`users-open-${round}-${u}`));
      const answers = await raceOnLockedRows(
        'SELECT 1 FROM connect_sessions WHERE id = ANY($1) FOR UPDATE',
        [sessions.map((s) => s.id)],
        'connect_sessions',
        USERS,
        () => Promise.all(sessions.map((s) => open(s.path))),
      );
      for (const [i, answer] of answers.entries()) {
        const { status, state } = landing(answer);
        expect(status).toBe('at_provider');
        const { rows } = await db.query('SELECT connect_session_id FROM oauth_states WHERE state_hash = $1', [
          hashSecret(state),
        ]);
        expect(rows).toEqual([{ connect_session_id: sessions[i].id }]);
      }
    }
  });

  it('users coming back from the provider at the same moment: each gets a connection with the tokens of its own code', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const flows: Awaited<ReturnType<typeof startedFlow>>[] = [];
      for (let u = 0; u < USERS; u++) flows.push(await startedFlow(`users-back-${round}-${u}`));
      for (let u = 0; u < USERS; u++) stub.tokenAnswers.push((req) => StubProvider.tokens(String(req.body.code)));
      const answers = await raceOnLockedRows(
        'SELECT 1 FROM oauth_states WHERE connect_session_id = ANY($1) FOR UPDATE',
        [flows.map((f) => f.session.id)],
        'oauth_states',
        USERS,
        () => Promise.all(flows.map((f) => callback(f, `code-${f.ownerId}`))),
      );
      for (const [i, answer] of answers.entries()) {
        const { status, connectionId } = landing(answer);
        expect(status).toBe('connected');
        const { body } = await t.api.get(`/connections/${connectionId}`).expect(200);
        expect(body.ownerId).toBe(flows[i].ownerId);
        expect(await tokenOf(connectionId)).toBe(`at-code-${flows[i].ownerId}`);
      }
      stub.reset();
    }
  });
});
