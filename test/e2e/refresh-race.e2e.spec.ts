import { DataSource } from 'typeorm';
import { freePort } from '../../src/database/embedded-postgres';
import { parseKeyring } from '../../src/crypto/keyring';
import { rotateConnectionKeys } from '../../src/connections/key-rotation';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { createTestDatabase } from '../support/database';
import { startTestApp, TEST_KEY_A, TEST_KEY_B, TestApp } from '../support/app';
import { tokenContext } from '../../src/connections/token-context';
import { RefreshSweep } from '../../src/token-lifecycle/refresh-sweep';
import { RefreshService } from '../../src/token-lifecycle/refresh.service';
import {
  addFault,
  clearSandbox,
  connectThroughSandbox,
  faultsTaken,
  refreshCalls,
  storedGrant,
} from '../support/sandbox-flow';
import { ConnectionLifecycleRepository } from '../../src/connections/persistence/connection-lifecycle.repository';
import { FakeResponse } from '../support/fake-provider';
import { StubProvider } from '../support/stub-provider';
import { gate, waitFor } from '../support/wait';

/**
 * Two replicas on one database, each with its sweep running every second, sharing one simulator (its
 * state is in that database). Keap rotates refresh tokens: a second refresh with the same token is
 * invalid_grant, so any double refresh shows up as a failed call and a dead connection.
 */
describe('exactly one refresh per connection across two replicas', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const env = { REFRESH_SWEEP_INTERVAL_SECONDS: '1', ENCRYPTION_KEYS: `${TEST_KEY_B},${TEST_KEY_A}` };
    // Both replicas run with the new key first (as after the restart that precedes a rotation).
    a = await startTestApp({ databaseUrl, port: await freePort(), env });
    b = await startTestApp({ databaseUrl, port: await freePort(), env });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });
  beforeEach(() => clearSandbox(a, 'keap'));

  const forced = (t: TestApp, id: string) =>
    t.api.get(`/connections/${id}/credentials`).query({ forceRefresh: 'true' });

  it('60 concurrent forced calls over both replicas: one refresh per round, one token for all, and the next round works', async () => {
    const id = await connectThroughSandbox(a, 'keap', 'race-one');
    const tokens: string[] = [];
    for (let round = 1; round <= 3; round++) {
      await addFault(a, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 1500 });
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => forced(i % 2 ? a : b, id)));
      expect(results.map((r) => r.status)).toEqual(Array(60).fill(200));
      const distinct = new Set(results.map((r) => r.body.accessToken));
      expect(distinct.size).toBe(1);
      tokens.push(...distinct);
      const calls = await refreshCalls(a, 'keap');
      expect(calls).toHaveLength(round);
      expect(calls.every((c) => c.status === 200)).toBe(true);
    }
    expect(new Set(tokens).size).toBe(3);
    expect((await a.api.get(`/connections/${id}`).expect(200)).body.status).toBe('active');
  }, 60_000);

  it('50 forced calls on two replicas, one of them just started, with a 100 ms token endpoint: one provider call', async () => {
    const id = await connectThroughSandbox(a, 'keap', 'race-cold');
    // A replica that has served nothing yet (cold: first requests are the slowest), on the same database.
    const cold = await startTestApp({
      databaseUrl: a.databaseUrl,
      port: await freePort(),
      env: { ENCRYPTION_KEYS: `${TEST_KEY_B},${TEST_KEY_A}` },
    });
    try {
      await addFault(a, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 100 });
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => forced(i % 2 ? a : cold, id)));
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
      expect(new Set(results.map((r) => r.body.accessToken)).size).toBe(1);
      expect(await refreshCalls(a, 'keap')).toHaveLength(1);
    } finally {
      await cold.close();
    }
  }, 60_000);

  it('the same over many connections at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await connectThroughSandbox(a, 'keap', `race-many-${i}`));
    await clearSandbox(a, 'keap');
    await addFault(a, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 1500, remaining: 8 });
    const results = await Promise.all(
      ids.flatMap((id) => Array.from({ length: 6 }, (_, i) => forced(i % 2 ? a : b, id).then((r) => ({ id, r })))),
    );
    expect(results.every(({ r }) => r.status === 200)).toBe(true);
    for (const id of ids)
      expect(new Set(results.filter((x) => x.id === id).map(({ r }) => r.body.accessToken)).size).toBe(1);
    const calls = await refreshCalls(a, 'keap');
    expect(calls).toHaveLength(ids.length);
    expect(new Set(calls.map((c) => c.grantId)).size).toBe(ids.length);
    expect(calls.every((c) => c.status === 200)).toBe(true);
  }, 60_000);

  it('both sweeps running: due connections are refreshed once each (SKIP LOCKED), none dies', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await connectThroughSandbox(a, 'keap', `race-sweep-${i}`));
    await clearSandbox(a, 'keap');
    // Due: inside the one-hour lead window.
    await a.dataSource.query(`UPDATE connections SET expires_at = now() + interval '10 minutes' WHERE id = ANY($1)`, [
      ids,
    ]);
    const deadline = Date.now() + 20_000;
    let refreshed = 0;
    while (Date.now() < deadline) {
      const rows = await a.dataSource.query(
        `SELECT count(*)::int AS n FROM connections WHERE id = ANY($1) AND expires_at > now() + interval '1 hour'`,
        [ids],
      );
      refreshed = rows[0].n;
      if (refreshed === ids.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(refreshed).toBe(ids.length);
    // Two more complete sweeps on each replica (runOnce joins a run in progress, so the second is a
    // fresh one): nothing is due any more, so nothing more is sent.
    for (const t of [a, b]) for (let i = 0; i < 2; i++) await t.app.get(RefreshSweep).runOnce();
    const calls = await refreshCalls(a, 'keap');
    expect(calls).toHaveLength(ids.length);
    expect(new Set(calls.map((c) => c.grantId)).size).toBe(ids.length);
    const statuses = await a.dataSource.query(`SELECT DISTINCT status FROM connections WHERE id = ANY($1)`, [ids]);
    expect(statuses).toEqual([{ status: 'active' }]);
  }, 60_000);

  /** Connections made before the new key existed: encrypted under key A only. */
  async function connectUnderKeyA(owner: string, count: number): Promise<string[]> {
    const old = await startTestApp({
      databaseUrl: a.databaseUrl,
      port: await freePort(),
      env: { ENCRYPTION_KEYS: TEST_KEY_A },
    });
    const ids: string[] = [];
    try {
      for (let i = 0; i < count; i++) ids.push(await connectThroughSandbox(old, 'keap', `${owner}-${i}`));
    } finally {
      await old.close();
    }
    const rows = await a.dataSource.query(
      `SELECT count(*)::int AS n FROM connections WHERE id = ANY($1) AND refresh_token LIKE 'v1.ka.%'`,
      [ids],
    );
    expect(rows[0].n).toBe(count);
    return ids;
  }
  const newKeyFirst = () => new TokenCipher(parseKeyring(`${TEST_KEY_B},${TEST_KEY_A}`));
  const row = async (id: string) =>
    (
      await a.dataSource.query(
        'SELECT refresh_token, access_token, token_version, lease_owner FROM connections WHERE id = $1',
        [id],
      )
    )[0];

  it('keys:rotate while a refresh is held at the provider: the re-encryption does not bump token_version, so the refresh still stores its rotated token', async () => {
    const [id] = await connectUnderKeyA('rotate-held', 1);
    const before = await row(id);
    await addFault(a, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 2500 });
    const refreshing = a.api.post(`/connections/${id}/refresh`).then((res) => res);
    await waitFor(
      async () =>
        (await row(id)).lease_owner !== null && (await faultsTaken((q, p) => a.dataSource.query(q, p), 'keap')),
      'the refresh is held at the provider',
    );
    // The rotation re-encrypts the row (still the old tokens) under key B while the refresh is in flight.
    await rotateConnectionKeys(a.dataSource, newKeyFirst(), { batchSize: 2 });
    const rotated = await row(id);
    expect(rotated.refresh_token).toMatch(/^v1\.kb\./);
    expect(rotated.token_version).toBe(before.token_version);
    const res = await refreshing;
    expect(res.status).toBe(200);
    // The refresh's compare-and-set (on token_version) still held: its rotated token is the one stored.
    const after = await row(id);
    expect(after.token_version).toBe(before.token_version + 1);
    expect(after.refresh_token).not.toBe(rotated.refresh_token);
    expect(after.refresh_token).toMatch(/^v1\.kb\./);
    expect(await storedGrant(a, id)).toMatchObject({ live: true });
    await forced(b, id).expect(200);
    expect((await refreshCalls(a, 'keap')).map((c) => c.status)).toEqual([200, 200]);
  }, 60_000);

  it('keys:rotate that read a row before a refresh stored new tokens does not write the old ones back (compare-and-set on token_version)', async () => {
    const [id] = await connectUnderKeyA('rotate-stale', 1);
    const before = await row(id);
    // The rotation reads its batch, then stops right before its write transaction until released.
    const readDone = gate();
    const writeAllowed = gate();
    const gated = new Proxy(a.dataSource, {
      get(target, prop) {
        if (prop === 'transaction')
          return async (...args: Parameters<DataSource['transaction']>) => {
            readDone.release();
            await writeAllowed.promise;
            return (target.transaction as (...a: unknown[]) => Promise<unknown>)(...args);
          };
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const rotating = rotateConnectionKeys(gated, newKeyFirst(), { batchSize: 50 });
    await readDone.promise;
    // Meanwhile a refresh stores new tokens (under key B, token_version + 1); the rotation still holds
    // the old envelopes, whose refresh token the provider has now rotated away.
    await b.api.post(`/connections/${id}/refresh`).expect(200);
    const refreshed = await row(id);
    expect(refreshed.token_version).toBe(before.token_version + 1);
    writeAllowed.release();
    const report = await rotating;
    expect(report.failed).toEqual([]);
    const after = await row(id);
    expect(after.refresh_token).toBe(refreshed.refresh_token);
    expect(after.access_token).toBe(refreshed.access_token);
    expect(after.token_version).toBe(refreshed.token_version);
    expect(await storedGrant(a, id)).toMatchObject({ live: true });
    await forced(a, id).expect(200);
    expect((await refreshCalls(a, 'keap')).map((c) => c.status)).toEqual([200, 200]);
  }, 60_000);

  it('forced refresh by version: 50 callers holding one refused version, spread over 3 s on two replicas against a 5 ms token endpoint, cause one refresh and all get its token; an older version gets the current token at once', async () => {
    const id = await connectThroughSandbox(a, 'keap', 'race-version');
    const first = await a.api.get(`/connections/${id}/credentials`).expect(200);
    const stale = first.body.version as string;
    expect(stale).toMatch(/^[0-9]+$/);
    await addFault(a, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 5, remaining: 100 });
    // 50 callers that all saw `stale` refused, one every 60 ms: most arrive after the refresh finished.
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 60));
        return (i % 2 ? a : b).api
          .get(`/connections/${id}/credentials`)
          .query({ forceRefresh: 'true', staleVersion: stale });
      }),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(results.map((r) => r.body.accessToken)).size).toBe(1);
    expect(results[0].body.accessToken).not.toBe(first.body.accessToken);
    expect(new Set(results.map((r) => r.body.version)).size).toBe(1);
    expect(results[0].body.version).not.toBe(stale);
    const calls = await refreshCalls(a, 'keap');
    expect(calls.map((c) => c.status)).toEqual([200]);

    // A caller still holding the older version: the current tokens, no refresh.
    const older = await b.api
      .get(`/connections/${id}/credentials`)
      .query({ forceRefresh: 'true', staleVersion: stale })
      .expect(200);
    expect(older.body.accessToken).toBe(results[0].body.accessToken);
    expect(await refreshCalls(a, 'keap')).toHaveLength(1);
    // Without staleVersion, the arrival-time rule: a forced call now refreshes again.
    const forcedAgain = await forced(a, id).expect(200);
    expect(forcedAgain.body.version).not.toBe(results[0].body.version);
    expect(await refreshCalls(a, 'keap')).toHaveLength(2);
  }, 60_000);

  it('staleVersion: digits only, never with forceRefresh=false; alone it is a forced refresh of that version', async () => {
    const id = await connectThroughSandbox(a, 'keap', 'race-version-bad');
    for (const query of [
      { forceRefresh: 'false', staleVersion: '1' },
      { forceRefresh: 'true', staleVersion: 'v1' },
    ]) {
      const res = await a.api.get(`/connections/${id}/credentials`).query(query).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    expect(await refreshCalls(a, 'keap')).toHaveLength(0);
    const { version } = (await a.api.get(`/connections/${id}/credentials`).expect(200)).body;
    // A version is a number: written with a leading zero it is the same version.
    const alone = await a.api
      .get(`/connections/${id}/credentials`)
      .query({ staleVersion: `0${version}` })
      .expect(200);
    expect(alone.body.version).not.toBe(version);
    expect(await refreshCalls(a, 'keap')).toHaveLength(1);
  });

  it('a full rotation re-encrypts exactly the rows still under the old key; a replica with only the new key then refreshes them all', async () => {
    const ids = await connectUnderKeyA('rotate-all', 4);
    // Two of them are refreshed first: these replicas write under the new key (B, listed first).
    await Promise.all(ids.slice(0, 2).map((id, i) => forced(i % 2 ? a : b, id).expect(200)));
    const before = await Promise.all(ids.map(row));
    expect(before.map((r) => r.refresh_token.slice(0, 6))).toEqual(['v1.kb.', 'v1.kb.', 'v1.ka.', 'v1.ka.']);
    await rotateConnectionKeys(a.dataSource, newKeyFirst(), { batchSize: 2 });
    const after = await Promise.all(ids.map(row));
    // Rows already under B are not rewritten; the others are now under B, with token_version unchanged.
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    for (const [i, r] of after.entries()) {
      expect(r.refresh_token).toMatch(/^v1\.kb\./);
      expect(r.access_token).toMatch(/^v1\.kb\./);
      expect(r.token_version).toBe(before[i].token_version);
    }
    const c = await startTestApp({
      databaseUrl: a.databaseUrl,
      port: await freePort(),
      env: { ENCRYPTION_KEYS: TEST_KEY_B },
    });
    try {
      await clearSandbox(c, 'keap');
      for (const id of ids) await forced(c, id).expect(200);
      expect((await refreshCalls(c, 'keap')).map((x) => x.status)).toEqual([200, 200, 200, 200]);
    } finally {
      await c.close();
    }
  }, 60_000);
});

/**
 * A refresh whose provider answer outlives its lease, on two replicas, against a recording stand-in
 * provider whose answers the test holds and releases. REFRESH_LEASE_SECONDS must be at least twice
 * HTTP_TIMEOUT_MS (config), so a held answer is given up at the timeout while the lease is still ours;
 * only a replica that stalls past its lease (a pause no timeout bounds) can lose it mid-call, and then
 * the compare-and-set on token_version decides which tokens stand.
 */
describe('a refresh whose provider answer outlives its lease', () => {
  const stub = new StubProvider();
  let a: TestApp;
  let b: TestApp;
  const tokenAnswers = stub.tokenAnswers;
  const fake = stub.fake;

  beforeAll(async () => {
    await stub.start();
    const databaseUrl = await createTestDatabase();
    const env = { ...stub.env, HTTP_TIMEOUT_MS: '1500', REFRESH_LEASE_SECONDS: '3', REFRESH_WAIT_SECONDS: '30' };
    a = await startTestApp({ databaseUrl, env });
    b = await startTestApp({ databaseUrl, env });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await stub.stop();
  });
  beforeEach(() => stub.reset());

  const tokens = (n: string) => StubProvider.tokens(n);
  const forced = (t: TestApp, id: string) =>
    t.api
      .get(`/connections/${id}/credentials`)
      .query({ forceRefresh: 'true' })
      .then((res) => res);
  const refresh = (t: TestApp, id: string) => t.api.post(`/connections/${id}/refresh`).then((res) => res);
  const row = async (id: string) =>
    (
      await a.dataSource.query(
        'SELECT token_version, lease_owner, lease_until, last_error, refresh_token FROM connections WHERE id = $1',
        [id],
      )
    )[0];
  const storedRefreshToken = async (id: string) =>
    a.app.get(TokenCipher).decrypt((await row(id)).refresh_token, tokenContext(id, 'refresh_token'));
  const refreshTokensSent = () => stub.refreshTokensSent();

  async function connection(owner: string): Promise<string> {
    const res = await a.api
      .post('/connections')
      .send({ provider: 'stub', ownerId: owner, accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 3600 })
      .expect(201);
    return res.body.id;
  }

  it('an answer held past the lease is given up at HTTP_TIMEOUT_MS while the lease is still ours: no other call with the same refresh token while it is in flight, and the late answer is never stored', async () => {
    const id = await connection('outlive-timeout');
    const before = await row(id);
    const held = gate();
    /** What the row looked like when a second token request (if any) arrived. */
    const seenBySecondCall: { last_error: { code: string } | null; lease_owner: string | null }[] = [];
    tokenAnswers.push(async () => {
      await held.promise;
      return tokens('late');
    });
    tokenAnswers.push(async () => {
      seenBySecondCall.push(await row(id));
      return { status: 503, json: { error: 'temporarily_unavailable' } };
    });
    const first = refresh(a, id);
    await fake.waitForRequests('/token', 1);
    const { lease_until: leaseUntil } = await row(id);
    // Another replica asks while the call is in flight.
    const second = refresh(b, id);
    // The provider answers only after the lease would have ended.
    const answering = waitFor(() => Date.now() > leaseUntil.getTime() + 200, 'the held answer outlives the lease').then(
      held.release,
    );
    const one = await first;
    // Given up at the timeout, well before the lease (at least twice the timeout) ends: the failure was
    // recorded while the lease still held (the database's time, not the test's, which a busy machine
    // delays).
    expect(one.status).toBe(502);
    expect(one.body.code).toBe('provider_unavailable');
    expect(Date.parse((await row(id)).last_error.at)).toBeLessThan(leaseUntil.getTime());
    const two = await second;
    expect(two.status).toBe(502);
    // b waited while a's call was in flight, and reports the failure it waited for (a's timeout) instead
    // of calling again: one provider call in all.
    expect(two.body.code).toBe('provider_unavailable');
    expect(fake.requestsTo('/token')).toHaveLength(1);
    expect(seenBySecondCall).toEqual([]);
    // When the provider finally answers, nobody is listening any more.
    await answering;
    await waitFor(async () => (await row(id)).lease_owner === null, 'no lease left');
    expect((await row(id)).token_version).toBe(before.token_version);
    expect(await storedRefreshToken(id)).toBe('rt-0');
    // The next refresh sends the only refresh token the service has: the late answer was never stored.
    await a.dataSource.query('UPDATE connections SET next_refresh_at = NULL WHERE id = $1', [id]);
    const sent = fake.requestsTo('/token').length;
    tokenAnswers.splice(0);
    tokenAnswers.push(async () => tokens('next'));
    expect((await b.api.post(`/connections/${id}/refresh`).expect(200)).body.status).toBe('active');
    expect(refreshTokensSent().slice(sent)).toEqual(['rt-0']);
    expect(await storedRefreshToken(id)).toBe('rt-next');
  }, 30_000);

  it('a lease lost mid-call (a stalled replica): the late answer does not overwrite the tokens the other replica stored meanwhile', async () => {
    const id = await connection('outlive-lost');
    const before = await row(id);
    const held = gate();
    tokenAnswers.push(async () => {
      await held.promise;
      return tokens('late');
    });
    tokenAnswers.push(async () => tokens('b'));
    const first = forced(a, id);
    await fake.waitForRequests('/token', 1);
    // Replica a stalls past its lease (written in the past: a pause the HTTP timeout cannot bound).
    await a.dataSource.query(`UPDATE connections SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
    // Replica b finds the lease expired and refreshes: with a lost lease, a second call with the same
    // refresh token is possible — the write is what must stay consistent.
    const second = await forced(b, id);
    expect(second.status).toBe(200);
    expect(second.body.accessToken).toBe('at-b');
    expect(refreshTokensSent()).toEqual(['rt-0', 'rt-0']);
    // Give the row back to a's lease, as if a had never lost it: now only the compare-and-set on
    // token_version stands between a's late answer and b's stored tokens.
    await a.dataSource.query(
      `UPDATE connections SET lease_owner = $2, lease_until = now() + interval '30 seconds' WHERE id = $1`,
      [id, a.app.get(RefreshService).owner],
    );
    held.release();
    const one = await first;
    // a's late tokens lose the compare-and-set: a answers with the tokens b stored.
    expect(one.status).toBe(200);
    expect(one.body.accessToken).toBe('at-b');
    const after = await row(id);
    expect(after).toMatchObject({ token_version: before.token_version + 1 });
    expect(await storedRefreshToken(id)).toBe('rt-b');
    await a.dataSource.query(`UPDATE connections SET lease_owner = NULL, lease_until = NULL WHERE id = $1`, [id]);
    tokenAnswers.push(async () => tokens('c'));
    await a.api.post(`/connections/${id}/refresh`).expect(200);
    expect(refreshTokensSent()).toEqual(['rt-0', 'rt-0', 'rt-b']);
  }, 30_000);
});

/**
 * What a replica answers when another replica's refresh decides the outcome, and which tokens stand
 * when a lease is lost mid-call, on two replicas (a third with a short REFRESH_WAIT_SECONDS) against a
 * recording stand-in provider whose answers the test holds and releases. HTTP_TIMEOUT_MS is long, so
 * only the test decides when an answer comes; a replica "stalls past its lease" by having its
 * lease_until written into the past while its call is held (a pause no timeout bounds). The stand-in
 * plays a rotating provider (Keap): a refresh token is taken once, the second call with it is
 * invalid_grant.
 */
describe('waiters and lost leases: what a replica reports, and which tokens stand', () => {
  const stub = new StubProvider();
  const fake = stub.fake;
  const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  let a: TestApp;
  let b: TestApp;
  /** A replica that waits for an earlier call only 1 s. */
  let c: TestApp;

  beforeAll(async () => {
    await stub.start();
    const databaseUrl = await createTestDatabase();
    const env = {
      ...stub.env,
      HTTP_TIMEOUT_MS: '10000',
      REFRESH_LEASE_SECONDS: '30',
      REFRESH_WAIT_SECONDS: '15',
      // Status changes stay in the outbox (nothing is sent): the tests read them there.
      WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_DISPATCH_INTERVAL_MS: '0',
    };
    a = await startTestApp({ databaseUrl, env });
    b = await startTestApp({ databaseUrl, env });
    c = await startTestApp({ databaseUrl, env: { ...env, REFRESH_WAIT_SECONDS: '1' } });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await c?.close();
    await stub.stop();
  });
  beforeEach(() => stub.reset());

  const INVALID_GRANT = { status: 400, json: { error: 'invalid_grant' } };
  const refresh = (t: TestApp, id: string) => t.api.post(`/connections/${id}/refresh`).then((res) => res);
  const forced = (t: TestApp, id: string) =>
    t.api
      .get(`/connections/${id}/credentials`)
      .query({ forceRefresh: 'true' })
      .then((res) => res);
  const row = async (id: string) =>
    (
      await a.dataSource.query(
        'SELECT status, token_version, lease_owner, lease_until, last_error, refresh_failures, refresh_token FROM connections WHERE id = $1',
        [id],
      )
    )[0];
  const storedRefreshToken = async (id: string) =>
    a.app.get(TokenCipher).decrypt((await row(id)).refresh_token, tokenContext(id, 'refresh_token'));
  const events = async (id: string): Promise<string[]> =>
    (
      await a.dataSource.query(
        'SELECT event_type FROM webhook_deliveries WHERE connection_id = $1 ORDER BY created_at',
        [id],
      )
    ).map((r: { event_type: string }) => r.event_type);
  /** The replica's own call stalls past its lease: its lease_until is now in the past. */
  const stall = (id: string) =>
    a.dataSource.query(`UPDATE connections SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
  /** Whether a replica logged `message` (outside a request, Nest's static logger writes through the app created last). */
  const logged = (message: string) => [a, b, c].some((t) => t.logs.entries().some((e) => e.msg === message));
  /** Queues a token answer that waits for `release`. */
  function held(answer: FakeResponse) {
    const g = gate();
    stub.tokenAnswers.push(async () => {
      await g.promise;
      return answer;
    });
    return g;
  }

  async function connection(owner: string): Promise<string> {
    const res = await a.api
      .post('/connections')
      .send({ provider: 'stub', ownerId: owner, accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 3600 })
      .expect(201);
    return res.body.id;
  }

  describe('a waiter on another replica’s failing refresh reports that failure instead of calling again', () => {
    it.each([
      ['a 503', { status: 503, json: { error: 'temporarily_unavailable' } }, 502, 'provider_unavailable'],
      ['invalid_grant', INVALID_GRANT, 409, 'connection_needs_reauth'],
      [
        'a 429 with Retry-After',
        { status: 429, headers: { 'Retry-After': '120' }, json: {} },
        502,
        'provider_unavailable',
      ],
    ])('%s', async (name, answer: FakeResponse, status, code) => {
      const id = await connection(`waiter-${name}`);
      const aAnswers = held(answer);
      // A second call would be answered with fresh tokens, so one shows in the answers and the counts.
      stub.tokenAnswers.push(() => StubProvider.tokens('second'));
      const first = refresh(a, id);
      await fake.waitForRequests('/token', 1);
      // b waits for a's lease: known once one of b's takes found it live.
      const repoB = b.app.get(ConnectionLifecycleRepository);
      const take = repoB.takeLease.bind(repoB);
      const bWaits = gate();
      const spy = jest.spyOn(repoB, 'takeLease').mockImplementation(async (...args) => {
        const result = await take(...args);
        if (result && !result.leased) bWaits.release();
        return result;
      });
      try {
        const second = refresh(b, id);
        await bWaits.promise;
        aAnswers.release();
        const [one, two] = await Promise.all([first, second]);
        expect(one.status).toBe(status);
        expect(one.body.code).toBe(code);
        // The same answer on both replicas, from one provider call.
        expect(two.status).toBe(status);
        expect(two.body.code).toBe(code);
        expect(two.body.message).toBe(one.body.message);
        expect(fake.requestsTo('/token')).toHaveLength(1);
        if (one.headers['retry-after']) {
          expect(Number(one.headers['retry-after'])).toBe(120);
          // What is left of the backoff a recorded: the same wait, give or take the seconds since.
          expect(Number(two.headers['retry-after'])).toBeGreaterThanOrEqual(115);
          expect(Number(two.headers['retry-after'])).toBeLessThanOrEqual(120);
        }
        expect(await row(id)).toMatchObject({ refresh_failures: 1, lease_owner: null });
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('a lease lost mid-call against a rotating provider: the tokens it obtained are stored, never dropped', () => {
    it('the second call’s invalid_grant comes first: it is not written as needs_reauth; the first call’s tokens are stored and both callers get them', async () => {
      const id = await connection('lost-refusal-first');
      const before = await row(id);
      const aAnswers = held(StubProvider.tokens('a'));
      // The provider took rt-0 from a's call: b's call with it is refused.
      stub.tokenAnswers.push(() => INVALID_GRANT);
      const first = forced(a, id);
      await fake.waitForRequests('/token', 1);
      await stall(id);
      const second = forced(b, id);
      await fake.waitForRequests('/token', 2);
      // b has dealt with its refusal: without the rule it has written needs_reauth; with it, it waits
      // for the earlier call (and says so).
      await waitFor(
        async () =>
          (await row(id)).status === 'needs_reauth' ||
          logged(
            'invalid_grant after taking over a lease that ran out: waiting for the earlier call to store its tokens',
          ),
        'b has dealt with the refusal',
      );
      aAnswers.release();
      const [one, two] = await Promise.all([first, second]);
      expect([one.status, one.body.accessToken]).toEqual([200, 'at-a']);
      expect([two.status, two.body.accessToken]).toEqual([200, 'at-a']);
      expect(await row(id)).toMatchObject({
        status: 'active',
        token_version: before.token_version + 1,
        lease_owner: null,
        last_error: null,
      });
      expect(await storedRefreshToken(id)).toBe('rt-a');
      expect(await events(id)).toEqual(['connection.created']);
      // The next refresh sends the token the provider issued last.
      stub.tokenAnswers.push(() => StubProvider.tokens('next'));
      await refresh(b, id).then((res) => expect(res.status).toBe(200));
      expect(stub.refreshTokensSent()).toEqual(['rt-0', 'rt-0', 'rt-a']);
    });

    it('the first call’s tokens come first: they are stored although the lease moved on, and the second call’s invalid_grant then changes nothing', async () => {
      const id = await connection('lost-tokens-first');
      const before = await row(id);
      const aAnswers = held(StubProvider.tokens('a'));
      const bAnswers = held(INVALID_GRANT);
      const first = forced(a, id);
      await fake.waitForRequests('/token', 1);
      await stall(id);
      const second = forced(b, id);
      await fake.waitForRequests('/token', 2);
      aAnswers.release();
      const one = await first;
      expect([one.status, one.body.accessToken]).toEqual([200, 'at-a']);
      // Stored with b's lease left in place: b's call is still out.
      expect(await row(id)).toMatchObject({ token_version: before.token_version + 1, status: 'active' });
      expect(await storedRefreshToken(id)).toBe('rt-a');
      bAnswers.release();
      const two = await second;
      expect([two.status, two.body.accessToken]).toEqual([200, 'at-a']);
      expect(await row(id)).toMatchObject({
        status: 'active',
        token_version: before.token_version + 1,
        lease_owner: null,
        refresh_failures: 0,
      });
      expect(await events(id)).toEqual(['connection.created']);
    });

    it('the first call is refused (the second one reached the provider first): its caller gets the tokens the second stores, not needs_reauth', async () => {
      const id = await connection('lost-first-refused');
      const aAnswers = held(INVALID_GRANT);
      const bAnswers = held(StubProvider.tokens('b'));
      const first = forced(a, id);
      let firstDone = false;
      void first.then(() => (firstDone = true));
      await fake.waitForRequests('/token', 1);
      await stall(id);
      const second = forced(b, id);
      await fake.waitForRequests('/token', 2);
      aAnswers.release();
      // a has dealt with its refusal: without the rule it has answered 409 already; with it, it waits
      // for b's outcome (and says so).
      await waitFor(
        () =>
          firstDone || logged('refresh failed after its lease was taken over: waiting for the new holder’s outcome'),
        'a has dealt with the refusal',
      );
      bAnswers.release();
      const [one, two] = await Promise.all([first, second]);
      expect([two.status, two.body.accessToken]).toEqual([200, 'at-b']);
      expect([one.status, one.body.accessToken]).toEqual([200, 'at-b']);
      expect(await row(id)).toMatchObject({ status: 'active', lease_owner: null, refresh_failures: 0 });
      expect(await storedRefreshToken(id)).toBe('rt-b');
      expect(await events(id)).toEqual(['connection.created']);
    });

    it('the same when the sweep takes the lease over: its claim knows whose lease ran out', async () => {
      const id = await connection('lost-sweep');
      const before = await row(id);
      // Due for the sweep: inside the lead window; the other tests' connections are not.
      await a.dataSource.query(
        `UPDATE connections SET expires_at = CASE WHEN id = $1 THEN now() + interval '10 minutes' ELSE now() + interval '1 day' END`,
        [id],
      );
      const aAnswers = held(StubProvider.tokens('a'));
      stub.tokenAnswers.push(() => INVALID_GRANT);
      const first = forced(a, id);
      await fake.waitForRequests('/token', 1);
      await stall(id);
      const sweeping = b.app.get(RefreshSweep).runOnce();
      await fake.waitForRequests('/token', 2);
      await waitFor(
        async () =>
          (await row(id)).status === 'needs_reauth' ||
          logged(
            'invalid_grant after taking over a lease that ran out: waiting for the earlier call to store its tokens',
          ),
        'the sweep has dealt with the refusal',
      );
      aAnswers.release();
      const one = await first;
      expect([one.status, one.body.accessToken]).toEqual([200, 'at-a']);
      expect(await sweeping).toMatchObject({ claimed: 1, refreshed: 1, failed: 0 });
      expect(await row(id)).toMatchObject({
        status: 'active',
        token_version: before.token_version + 1,
        lease_owner: null,
      });
      expect(await storedRefreshToken(id)).toBe('rt-a');
      expect(await events(id)).toEqual(['connection.created']);
    });

    it('an earlier call that does not answer within REFRESH_WAIT_SECONDS: needs_reauth, and its tokens, when they come after all, are still stored', async () => {
      const id = await connection('lost-no-answer');
      const before = await row(id);
      const aAnswers = held(StubProvider.tokens('a'));
      stub.tokenAnswers.push(() => INVALID_GRANT);
      const first = forced(a, id);
      await fake.waitForRequests('/token', 1);
      await stall(id);
      // c waits 1 s for a's call, then believes the refusal (a crashed holder leaves nothing else).
      const third = await forced(c, id);
      expect([third.status, third.body.code]).toEqual([409, 'connection_needs_reauth']);
      expect(await row(id)).toMatchObject({ status: 'needs_reauth', token_version: before.token_version });
      expect(await events(id)).toEqual(['connection.created', 'connection.needs_reauth']);
      // a's answer arrives: nothing replaced the tokens it started from, so it is the grant now.
      aAnswers.release();
      const one = await first;
      expect([one.status, one.body.accessToken]).toEqual([200, 'at-a']);
      expect(await row(id)).toMatchObject({
        status: 'active',
        token_version: before.token_version + 1,
        last_error: null,
      });
      expect(await storedRefreshToken(id)).toBe('rt-a');
      // The way back to active is a status change in the activity (no webhook event names it).
      const [change] = await a.dataSource.query(
        `SELECT type, previous_status, status FROM connection_activity
          WHERE connection_id = $1 AND type = 'status_changed' ORDER BY id DESC LIMIT 1`,
        [id],
      );
      expect(change).toEqual({ type: 'status_changed', previous_status: 'needs_reauth', status: 'active' });
      expect(await events(id)).toEqual(['connection.created', 'connection.needs_reauth']);
    });
  });
});
