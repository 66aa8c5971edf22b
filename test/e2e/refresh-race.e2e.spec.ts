import { freePort } from '../../src/database/embedded-postgres';
import { parseKeyring } from '../../src/crypto/keyring';
import { rotateConnectionKeys } from '../../src/connections/key-rotation';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { createTestDatabase } from '../support/database';
import { startTestApp, TEST_KEY_A, TEST_KEY_B, TestApp } from '../support/app';
import { addFault, clearSandbox, connectThroughSandbox, refreshCalls } from '../support/sandbox-flow';

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
    // Let both sweeps run a few more times: nothing is due any more, so nothing more is sent.
    await new Promise((r) => setTimeout(r, 2500));
    const calls = await refreshCalls(a, 'keap');
    expect(calls).toHaveLength(ids.length);
    expect(new Set(calls.map((c) => c.grantId)).size).toBe(ids.length);
    const statuses = await a.dataSource.query(`SELECT DISTINCT status FROM connections WHERE id = ANY($1)`, [ids]);
    expect(statuses).toEqual([{ status: 'active' }]);
  }, 60_000);

  it('keys:rotate beside live refreshes loses no rotated refresh token', async () => {
    // Connections made before the new key existed: encrypted under key A.
    const old = await startTestApp({
      databaseUrl: a.databaseUrl,
      port: await freePort(),
      env: { ENCRYPTION_KEYS: TEST_KEY_A },
    });
    const ids: string[] = [];
    try {
      for (let i = 0; i < 6; i++) ids.push(await connectThroughSandbox(old, 'keap', `race-rotate-${i}`));
    } finally {
      await old.close();
    }
    const underA = await a.dataSource.query(
      `SELECT count(*)::int AS n FROM connections WHERE id = ANY($1) AND refresh_token LIKE 'v1.ka.%'`,
      [ids],
    );
    expect(underA[0].n).toBe(6);
    const cipher = new TokenCipher(parseKeyring(`${TEST_KEY_B},${TEST_KEY_A}`));
    // Refreshes (written under key A by these replicas) and a rotation to key B, interleaved.
    const refreshing = (async () => {
      for (let round = 0; round < 4; round++)
        await Promise.all(ids.map((id, i) => forced(i % 2 ? a : b, id).expect(200)));
    })();
    let rotated = 0;
    for (let i = 0; i < 6; i++) {
      rotated += (await rotateConnectionKeys(a.dataSource, cipher, { batchSize: 2 })).rotated;
      await new Promise((r) => setTimeout(r, 30));
    }
    await refreshing;
    expect(rotated).toBeGreaterThan(0);
    // Whatever key each row ended under, every stored refresh token is the live one: one more round
    // of refreshes succeeds everywhere (a stale one would be invalid_grant).
    await rotateConnectionKeys(a.dataSource, cipher);
    const c = await startTestApp({
      databaseUrl: a.databaseUrl,
      port: await freePort(),
      env: { ENCRYPTION_KEYS: TEST_KEY_B },
    });
    try {
      await clearSandbox(c, 'keap');
      for (const id of ids) await forced(c, id).expect(200);
      const calls = await refreshCalls(c, 'keap');
      expect(calls.filter((x) => x.status !== 200)).toEqual([]);
    } finally {
      await c.close();
    }
  }, 60_000);
});
