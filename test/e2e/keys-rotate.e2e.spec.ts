import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { Client } from 'pg';
import { EntityManager } from 'typeorm';
import { parseKeyring } from '../../src/crypto/keyring';
import { rotateConnectionKeys } from '../../src/connections/key-rotation';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { verifierContext } from '../../src/oauth/oauth-state.store';
import { rawClient } from '../support/database';
import { startTestApp, TEST_KEY_A, TEST_KEY_B, TestApp } from '../support/app';

const ROOT = path.resolve(__dirname, '..', '..');

describe('key rotation (keys:rotate)', () => {
  let t: TestApp;
  let db: Client;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { ENCRYPTION_KEYS: TEST_KEY_A } });
    db = await rawClient(t.databaseUrl);
    for (let i = 0; i < 25; i++) {
      const res = await t.api
        .post('/connections')
        .send({
          provider: 'keap',
          ownerId: `rot-${i}`,
          accessToken: `at-${i}`,
          ...(i % 2 ? { refreshToken: `rt-${i}` } : {}),
        })
        .expect(201);
      ids.push(res.body.id);
    }
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const kids = async () =>
    (
      await db.query(
        `SELECT DISTINCT split_part(access_token, '.', 2) AS a, split_part(refresh_token, '.', 2) AS r FROM connections`,
      )
    ).rows;

  it('without the old key, stored tokens cannot be read (the premise)', async () => {
    const onlyB = await startTestApp({ databaseUrl: t.databaseUrl, env: { ENCRYPTION_KEYS: TEST_KEY_B } });
    try {
      const res = await onlyB.api.get(`/connections/${ids[0]}/credentials`).expect(500);
      expect(res.body.code).toBe('internal_error');
    } finally {
      await onlyB.close();
    }
  });

  it('a run stopped after its first batch leaves every row readable, and the next run finishes the job', async () => {
    const cipher = new TokenCipher(parseKeyring(`${TEST_KEY_B},${TEST_KEY_A}`));
    await expect(
      rotateConnectionKeys(t.dataSource, cipher, {
        batchSize: 10,
        onBatch: () => {
          throw new Error('stopped');
        },
      }),
    ).rejects.toThrow('stopped');
    const mixed = (
      await db.query(`SELECT count(*) FILTER (WHERE access_token LIKE 'v1.kb.%') AS b, count(*) AS n FROM connections`)
    ).rows[0];
    expect(Number(mixed.b)).toBe(10);
    const both = await startTestApp({
      databaseUrl: t.databaseUrl,
      env: { ENCRYPTION_KEYS: `${TEST_KEY_B},${TEST_KEY_A}` },
    });
    try {
      for (const [i, id] of ids.entries())
        expect((await both.api.get(`/connections/${id}/credentials`).expect(200)).body.accessToken).toBe(`at-${i}`);
    } finally {
      await both.close();
    }
  });

  it('`npm run keys:rotate` re-encrypts every row to the current key; then the old key can be removed', async () => {
    const run = () =>
      spawnSync(process.execPath, ['dist/src/commands/rotate-keys.js'], {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: t.databaseUrl,
          ENCRYPTION_KEYS: `${TEST_KEY_B},${TEST_KEY_A}`,
          NODE_ENV: 'production',
          API_KEYS: 'x'.repeat(20),
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
    // A flow in progress: its PKCE verifier is encrypted like a token, under the old key.
    const stateId = randomUUID();
    const cipherA = new TokenCipher(parseKeyring(TEST_KEY_A));
    await db.query(
      `INSERT INTO oauth_states (id, state_hash, provider, connect_session_id, code_verifier, redirect_uri, expires_at)
       VALUES ($1, $2, 'clickfunnels', $3, $4, 'http://127.0.0.1/cb', now() + interval '10 minutes')`,
      [stateId, 'f'.repeat(64), randomUUID(), cipherA.encrypt('pkce-verifier-1', verifierContext(stateId))],
    );
    const first = run();
    expect(first.status).toBe(0);
    const summary = JSON.parse(first.stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({
      msg: 'keys:rotate done',
      currentKid: 'kb',
      rotated: 15,
      failed: 0,
      oauthStates: { rotated: 1, failed: 0 },
      leftUnderRetiredKeys: { connections: 0, oauthStates: 0 },
    });
    const verifier = (await db.query('SELECT code_verifier FROM oauth_states WHERE id = $1', [stateId])).rows[0];
    const cipherB = new TokenCipher(parseKeyring(TEST_KEY_B));
    expect(cipherB.decrypt(verifier.code_verifier, verifierContext(stateId))).toBe('pkce-verifier-1');
    expect(first.stdout).not.toContain('pkce-verifier-1');
    expect(first.stdout + first.stderr).not.toMatch(/at-\d+|rt-\d+/);
    const after = await kids();
    expect(after).toHaveLength(2);
    expect(after).toEqual(
      expect.arrayContaining([
        { a: 'kb', r: 'kb' },
        { a: 'kb', r: null },
      ]),
    );

    // Running again finds nothing to do.
    const second = run();
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout.trim().split('\n').pop()!)).toMatchObject({
      rotated: 0,
      failed: 0,
      oauthStates: { rotated: 0 },
    });

    // A row written meanwhile under the old key (a replica without the new key first) is reported, and
    // the run exits 1: the old key must not be removed yet.
    await db.query(`UPDATE connections SET access_token = $1 WHERE id = $2`, [
      cipherA.encrypt('at-0', { table: 'connections', id: ids[0], field: 'access_token' }),
      ids[0],
    ]);
    await db.query(
      `UPDATE connections SET access_token = 'v1.gone.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA' WHERE id = $1`,
      [ids[1]],
    );
    const third = run();
    expect(third.status).toBe(1);
    expect(JSON.parse(third.stdout.trim().split('\n').pop()!)).toMatchObject({
      rotated: 1,
      failed: 1,
      leftUnderRetiredKeys: { connections: 1 },
    });
    // Put the row back as it was (it is read below).
    const bIds = [ids[1]];
    await db.query(`UPDATE connections SET access_token = $1 WHERE id = $2`, [
      cipherB.encrypt('at-1', { table: 'connections', id: bIds[0], field: 'access_token' }),
      bIds[0],
    ]);

    // The old key is gone from the configuration: everything still decrypts.
    const onlyB = await startTestApp({ databaseUrl: t.databaseUrl, env: { ENCRYPTION_KEYS: TEST_KEY_B } });
    try {
      for (const [i, id] of ids.entries()) {
        const res = await onlyB.api.get(`/connections/${id}/credentials`).expect(200);
        expect(res.body.accessToken).toBe(`at-${i}`);
      }
    } finally {
      await onlyB.close();
    }
  });

  it('never writes back tokens that changed while it ran (compare-and-set on token_version)', async () => {
    // Rows are under kb now; rotate back to a new key C while a reconnect replaces one row's tokens
    // between rotation's read and its write.
    const keyC = `kc:${Buffer.alloc(32, 7).toString('base64')}`;
    const cipher = new TokenCipher(parseKeyring(`${keyC},${TEST_KEY_B},${TEST_KEY_A}`));
    const writer = await startTestApp({
      databaseUrl: t.databaseUrl,
      env: { ENCRYPTION_KEYS: `${TEST_KEY_B},${TEST_KEY_A}` },
    });
    const victim = ids[3];
    let injected = false;
    const interfering = new Proxy(t.dataSource, {
      get(target, prop, receiver) {
        if (prop !== 'transaction') return Reflect.get(target, prop, receiver);
        return (fn: (tx: EntityManager) => Promise<unknown>) =>
          target.transaction((tx) =>
            fn(
              new Proxy(tx, {
                get(m, p, r) {
                  if (p !== 'query') return Reflect.get(m, p, r);
                  return async (sql: string, params: unknown[]) => {
                    if (!injected && sql.startsWith('UPDATE') && params[2] === victim) {
                      injected = true;
                      await writer.api
                        .post('/connections')
                        .send({
                          provider: 'keap',
                          ownerId: 'rot-3',
                          accessToken: 'at-3-reconnected',
                          refreshToken: 'rt-3-reconnected',
                        })
                        .expect(200);
                    }
                    return m.query(sql, params);
                  };
                },
              }),
            ),
          );
      },
    });
    try {
      const report = await rotateConnectionKeys(interfering, cipher, { batchSize: 100 });
      expect(injected).toBe(true);
      expect(report).toMatchObject({ rotated: 25, failed: [] });
    } finally {
      await writer.close();
    }
    const onlyC = await startTestApp({ databaseUrl: t.databaseUrl, env: { ENCRYPTION_KEYS: keyC } });
    try {
      const res = await onlyC.api.get(`/connections/${victim}/credentials`).expect(200);
      expect(res.body.accessToken).toBe('at-3-reconnected');
      const { rows } = await db.query('SELECT refresh_token FROM connections WHERE id = $1', [victim]);
      expect(cipher.decrypt(rows[0].refresh_token, { table: 'connections', id: victim, field: 'refresh_token' })).toBe(
        'rt-3-reconnected',
      );
    } finally {
      await onlyC.close();
    }
  });

  it('reports rows it cannot decrypt and leaves them untouched', async () => {
    await db.query(
      `UPDATE connections SET access_token = 'v1.gone.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA' WHERE id = $1`,
      [ids[5]],
    );
    const keyD = `kd:${Buffer.alloc(32, 9).toString('base64')}`;
    const cipher = new TokenCipher(parseKeyring(`${keyD},kc:${Buffer.alloc(32, 7).toString('base64')}`));
    const report = await rotateConnectionKeys(t.dataSource, cipher);
    expect(report.failed).toEqual([ids[5]]);
    expect(report.rotated).toBe(24);
    const { rows } = await db.query('SELECT access_token FROM connections WHERE id = $1', [ids[5]]);
    expect(rows[0].access_token).toContain('v1.gone.');
  });
});
