import { Client } from 'pg';
import { rawClient } from '../support/database';
import { startTestApp, TestApp } from '../support/app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('REST API: /connections (real app, real Postgres)', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp();
    db = await rawClient(t.databaseUrl);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const importKeap = (ownerId: string, extra: Record<string, unknown> = {}) =>
    t.api.post('/connections').send({
      provider: 'keap',
      ownerId,
      accessToken: `at-${ownerId}`,
      refreshToken: `rt-${ownerId}`,
      expiresIn: 86400,
      ...extra,
    });

  async function rowCount(): Promise<number> {
    return Number((await db.query('SELECT count(*) FROM connections')).rows[0].count);
  }

  describe('POST /connections (import)', () => {
    it('stores a Keap token pair, answers 201 without any token, and defaults accountId to "default"', async () => {
      const before = Date.now();
      const res = await importKeap('import-1').expect(201);
      expect(res.body).toMatchObject({
        provider: 'keap',
        ownerId: 'import-1',
        accountId: 'default',
        status: 'active',
        tokenType: 'Bearer',
        scopes: ['full'],
        hasRefreshToken: true,
        metadata: {},
        refreshFailures: 0,
        lastError: null,
      });
      expect(res.body.id).toMatch(UUID);
      expect(JSON.stringify(res.body)).not.toContain('at-import-1');
      expect(JSON.stringify(res.body)).not.toContain('rt-import-1');
      const expiresAt = Date.parse(res.body.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 86_400_000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 86_400_000 + 1000);
      // Keap's refresh token horizon (45 days by default) is recorded for the sweep.
      const horizon = Date.parse(res.body.refreshTokenExpiresAt);
      expect(horizon).toBeGreaterThanOrEqual(before + 45 * 86_400_000 - 1000);
      expect(horizon).toBeLessThanOrEqual(Date.now() + 45 * 86_400_000 + 1000);
    });

    it('stores tokens as AES-GCM envelopes in the raw row, never as plaintext', async () => {
      const { body } = await importKeap('raw-1').expect(201);
      const { rows } = await db.query('SELECT * FROM connections WHERE id = $1', [body.id]);
      const row = rows[0];
      expect(row.access_token).toMatch(/^v1\.ka\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
      expect(row.refresh_token).toMatch(/^v1\.ka\./);
      expect(JSON.stringify(row)).not.toContain('at-raw-1');
      expect(JSON.stringify(row)).not.toContain('rt-raw-1');
    });

    it('uses the documented Keap lifetime when no expiry is given, and honours expiresAt', async () => {
      const noExpiry = await t.api
        .post('/connections')
        .send({ provider: 'keap', ownerId: 'exp-1', accessToken: 'x' })
        .expect(201);
      expect(Date.parse(noExpiry.body.expiresAt) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
      expect(noExpiry.body.hasRefreshToken).toBe(false);
      expect(noExpiry.body.refreshTokenExpiresAt).toBeNull();
      const at = '2031-05-06T07:08:09.123Z';
      const explicit = await t.api
        .post('/connections')
        .send({ provider: 'keap', ownerId: 'exp-2', accessToken: 'x', expiresAt: at })
        .expect(201);
      expect(explicit.body.expiresAt).toBe(at);
    });

    it('leaves expiry empty for providers whose tokens never expire (Webflow)', async () => {
      const res = await t.api
        .post('/connections')
        .send({ provider: 'webflow', ownerId: 'wf-1', accessToken: 'wf-token', accountId: 'user-9' })
        .expect(201);
      expect(res.body).toMatchObject({
        provider: 'webflow',
        accountId: 'user-9',
        expiresAt: null,
        hasRefreshToken: false,
      });
    });

    it('importing the same account again updates the same row (200), keeps its id and bumps token_version', async () => {
      const first = await importKeap('re-1', { metadata: { plan: 'a' } }).expect(201);
      const { rows: before } = await db.query('SELECT token_version, access_token FROM connections WHERE id = $1', [
        first.body.id,
      ]);
      await db.query(`UPDATE connections SET status = 'needs_reauth', refresh_failures = 3 WHERE id = $1`, [
        first.body.id,
      ]);
      const second = await importKeap('re-1', { accessToken: 'at-re-1-new' }).expect(200);
      expect(second.body.id).toBe(first.body.id);
      expect(second.body).toMatchObject({ status: 'active', refreshFailures: 0, metadata: { plan: 'a' } });
      const { rows: after } = await db.query('SELECT token_version, access_token FROM connections WHERE id = $1', [
        first.body.id,
      ]);
      expect(after[0].token_version).toBe(before[0].token_version + 1);
      expect(after[0].access_token).not.toBe(before[0].access_token);
      const creds = await t.api.get(`/connections/${first.body.id}/credentials`).expect(200);
      expect(creds.body.accessToken).toBe('at-re-1-new');
    });

    it('keeps two accounts of one owner apart', async () => {
      const a = await importKeap('multi-1', { accountId: 'app-a' }).expect(201);
      const b = await importKeap('multi-1', { accountId: 'app-b' }).expect(201);
      expect(a.body.id).not.toBe(b.body.id);
    });

    it('concurrent first imports of one account end with one row', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => importKeap('race-1', { accessToken: `at-race-${i}` })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      const { rows } = await db.query(`SELECT count(*) FROM connections WHERE owner_id = 'race-1'`);
      expect(Number(rows[0].count)).toBe(1);
    });

    it('stores quotes, SQL and unicode literally', async () => {
      const weird = `o'wner"; DROP TABLE connections; -- 🚀 Ünïcødé 中文 \\ \n`;
      const res = await t.api
        .post('/connections')
        .send({
          provider: 'keap',
          ownerId: weird,
          accessToken: `tok'"${weird}`,
          accountId: weird,
          teamName: weird,
          metadata: { [weird]: weird },
        })
        .expect(201);
      expect(res.body.ownerId).toBe(weird);
      expect(res.body.accountId).toBe(weird);
      expect(res.body.teamName).toBe(weird);
      expect(res.body.metadata).toEqual({ [weird]: weird });
      const list = await t.api.get('/connections').query({ ownerId: weird }).expect(200);
      expect(list.body.data).toHaveLength(1);
      expect(list.body.data[0].id).toBe(res.body.id);
      const creds = await t.api.get(`/connections/${res.body.id}/credentials`).expect(200);
      expect(creds.body.accessToken).toBe(`tok'"${weird}`);
    });

    it.each([
      ['missing provider', { ownerId: 'x', accessToken: 'y' }],
      ['missing ownerId', { provider: 'keap', accessToken: 'y' }],
      ['missing accessToken', { provider: 'keap', ownerId: 'x' }],
      ['empty ownerId', { provider: 'keap', ownerId: '', accessToken: 'y' }],
      ['unknown field', { provider: 'keap', ownerId: 'x', accessToken: 'y', isAdmin: true }],
      ['non-integer expiresIn', { provider: 'keap', ownerId: 'x', accessToken: 'y', expiresIn: 'soon' }],
      ['negative expiresIn', { provider: 'keap', ownerId: 'x', accessToken: 'y', expiresIn: -5 }],
      [
        'expiresIn and expiresAt',
        { provider: 'keap', ownerId: 'x', accessToken: 'y', expiresIn: 10, expiresAt: '2030-01-01T00:00:00Z' },
      ],
      ['bad expiresAt', { provider: 'keap', ownerId: 'x', accessToken: 'y', expiresAt: 'tomorrow' }],
      ['an ISO week date', { provider: 'keap', ownerId: 'x', accessToken: 'y', expiresAt: '2024-W01-1' }],
      [
        'a date without time',
        { provider: 'keap', ownerId: 'x', accessToken: 'y', refreshTokenExpiresAt: '2030-01-01' },
      ],
      ['metadata array', { provider: 'keap', ownerId: 'x', accessToken: 'y', metadata: [1, 2] }],
      ['NUL in ownerId', { provider: 'keap', ownerId: 'a\u0000b', accessToken: 'y' }],
      ['NUL in metadata', { provider: 'keap', ownerId: 'x', accessToken: 'y', metadata: { a: 'b\u0000' } }],
      ['bad apiBaseUrl', { provider: 'keap', ownerId: 'x', accessToken: 'y', apiBaseUrl: 'javascript:alert(1)' }],
      ['scopes not strings', { provider: 'keap', ownerId: 'x', accessToken: 'y', scopes: [1] }],
    ])('rejects %s with 400 validation_failed and stores nothing', async (_name, body) => {
      const before = await rowCount();
      const res = await t.api.post('/connections').send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
      expect(typeof res.body.message).toBe('string');
      expect(await rowCount()).toBe(before);
    });

    it('never echoes a submitted token in a validation error', async () => {
      const res = await t.api
        .post('/connections')
        .send({ provider: 'keap', ownerId: 'x', accessToken: 'secret-token-123', expiresIn: 'x' })
        .expect(400);
      expect(JSON.stringify(res.body)).not.toContain('secret-token-123');
    });

    it.each([['not-a-provider'], ['acme']])(
      'refuses unknown provider %s with 400 provider_not_configured',
      async (provider) => {
        const before = await rowCount();
        const res = await t.api.post('/connections').send({ provider, ownerId: 'x', accessToken: 'y' }).expect(400);
        expect(res.body.code).toBe('provider_not_configured');
        expect(await rowCount()).toBe(before);
      },
    );

    it('answers malformed JSON with 400 invalid_json without quoting the body', async () => {
      const res = await t.api
        .post('/connections')
        .set('Content-Type', 'application/json')
        .send('{"accessToken": "leaky-secret", ')
        .expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'invalid_json' });
      // Body errors happen before routing; they still carry the request id.
      expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['x-request-id']).toBe(res.body.requestId);
      expect(JSON.stringify(res.body)).not.toContain('leaky-secret');
    });

    it('answers a body over 100 kB with 413 payload_too_large', async () => {
      const before = await rowCount();
      const res = await t.api
        .post('/connections')
        .send({ provider: 'keap', ownerId: 'big', accessToken: 'y', metadata: { blob: 'x'.repeat(110_000) } })
        .expect(413);
      expect(res.body).toMatchObject({ statusCode: 413, code: 'payload_too_large' });
      expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['x-request-id']).toBe(res.body.requestId);
      expect(await rowCount()).toBe(before);
    });
  });

  describe('GET /connections/{id}', () => {
    it('returns the connection without tokens', async () => {
      const { body: created } = await importKeap('get-1').expect(201);
      const res = await t.api.get(`/connections/${created.id}`).expect(200);
      expect(res.body).toEqual(created);
      expect(Object.keys(res.body)).not.toEqual(expect.arrayContaining(['accessToken']));
      expect(JSON.stringify(res.body)).not.toMatch(/at-get-1|rt-get-1/);
    });

    it('answers a malformed id with 400 validation_failed', async () => {
      const res = await t.api.get('/connections/not-a-uuid').expect(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', message: 'id must be a UUID' });
      await t.api.get(`/connections/'; DROP TABLE connections; --`).expect(400);
    });

    it('answers an unknown id with 404 connection_not_found', async () => {
      const res = await t.api.get('/connections/00000000-0000-4000-8000-000000000000').expect(404);
      expect(res.body).toMatchObject({ statusCode: 404, code: 'connection_not_found' });
      expect(res.body.requestId).toBeTruthy();
    });
  });

  describe('PATCH /connections/{id}', () => {
    it('replaces metadata without touching tokens or token_version', async () => {
      const { body: created } = await importKeap('patch-1', { metadata: { a: 1, keep: 'no' } }).expect(201);
      const { rows: before } = await db.query('SELECT token_version, access_token FROM connections WHERE id = $1', [
        created.id,
      ]);
      const res = await t.api
        .patch(`/connections/${created.id}`)
        .send({ metadata: { b: { nested: [1, 'two'] } } })
        .expect(200);
      expect(res.body.metadata).toEqual({ b: { nested: [1, 'two'] } });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
      const { rows: after } = await db.query('SELECT token_version, access_token FROM connections WHERE id = $1', [
        created.id,
      ]);
      expect(after).toEqual(before);
      expect((await t.api.get(`/connections/${created.id}`)).body.metadata).toEqual({ b: { nested: [1, 'two'] } });
    });

    it.each([
      ['no metadata', {}],
      ['metadata not an object', { metadata: 'x' }],
      ['metadata null', { metadata: null }],
      ['unknown field', { metadata: {}, status: 'active' }],
      ['metadata over 16 kB', { metadata: { x: 'y'.repeat(17_000) } }],
    ])('rejects %s with 400 and changes nothing', async (_name, body) => {
      const { body: created } = await importKeap(`patch-bad-${_name}`, { metadata: { orig: true } }).expect(201);
      const res = await t.api.patch(`/connections/${created.id}`).send(body).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect((await t.api.get(`/connections/${created.id}`)).body.metadata).toEqual({ orig: true });
    });

    it('answers unknown and malformed ids with 404 and 400', async () => {
      await t.api.patch('/connections/00000000-0000-4000-8000-000000000000').send({ metadata: {} }).expect(404);
      await t.api.patch('/connections/123').send({ metadata: {} }).expect(400);
    });
  });

  describe('DELETE /connections/{id}', () => {
    it('deletes the row and reports the revocation outcome; a second delete is 404', async () => {
      const { body: created } = await importKeap('del-1').expect(201);
      const res = await t.api.delete(`/connections/${created.id}`).expect(200);
      expect(res.body).toEqual({
        id: created.id,
        providerRevocation: 'unsupported',
        subscriptions: { removed: 0, queued: 0 },
      });
      expect((await db.query('SELECT 1 FROM connections WHERE id = $1', [created.id])).rowCount).toBe(0);
      const again = await t.api.delete(`/connections/${created.id}`).expect(404);
      expect(again.body.code).toBe('connection_not_found');
      await t.api.get(`/connections/${created.id}`).expect(404);
    });

    it('answers a malformed id with 400', async () => {
      await t.api.delete('/connections/nope').expect(400);
    });
  });

  describe('GET /connections/{id}/credentials', () => {
    it('returns the decrypted access token, never the refresh token, with Cache-Control: no-store', async () => {
      const { body: created } = await importKeap('cred-1', {
        scopes: ['full'],
        apiBaseUrl: 'http://127.0.0.1:9/api',
      }).expect(201);
      const res = await t.api.get(`/connections/${created.id}/credentials`).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        accessToken: 'at-cred-1',
        tokenType: 'Bearer',
        expiresAt: created.expiresAt,
        apiBaseUrl: 'http://127.0.0.1:9/api',
        scopes: ['full'],
        accountId: 'default',
        version: '1',
      });
      expect(JSON.stringify(res.body)).not.toContain('rt-cred-1');
    });

    it('answers 409 connection_needs_reauth for a connection that must be reconnected', async () => {
      const { body: created } = await importKeap('cred-2').expect(201);
      await db.query(`UPDATE connections SET status = 'needs_reauth' WHERE id = $1`, [created.id]);
      const res = await t.api.get(`/connections/${created.id}/credentials`).expect(409);
      expect(res.body.code).toBe('connection_needs_reauth');
      expect(JSON.stringify(res.body)).not.toContain('at-cred-2');
    });

    it('answers 404 and 400 for unknown and malformed ids', async () => {
      await t.api.get('/connections/00000000-0000-4000-8000-000000000000/credentials').expect(404);
      await t.api.get('/connections/zzz/credentials').expect(400);
    });

    it('fails loudly (500, no token) when a ciphertext was moved to another row', async () => {
      const { body: a } = await importKeap('swap-a').expect(201);
      const { body: b } = await importKeap('swap-b').expect(201);
      await db.query(
        `UPDATE connections SET access_token = (SELECT access_token FROM connections WHERE id = $1) WHERE id = $2`,
        [a.id, b.id],
      );
      const res = await t.api.get(`/connections/${b.id}/credentials`).expect(500);
      expect(res.body.code).toBe('internal_error');
      expect(JSON.stringify(res.body)).not.toMatch(/at-swap/);
      // The untouched row still decrypts.
      expect((await t.api.get(`/connections/${a.id}/credentials`).expect(200)).body.accessToken).toBe('at-swap-a');
    });
  });

  describe('GET /providers', () => {
    it('lists the sandbox providers when no credentials are configured', async () => {
      const res = await t.api.get('/providers').expect(200);
      const names = res.body.data.map((p: { name: string }) => p.name);
      expect(names).toEqual(['clickfunnels', 'clickfunnels-classic', 'keap', 'lightfunnels', 'webflow']);
      const keap = res.body.data.find((p: { name: string }) => p.name === 'keap');
      expect(keap).toEqual({
        name: 'keap',
        displayName: 'Keap (Infusionsoft)',
        supports: { refresh: true, revoke: false, pkce: false, verify: true },
        defaultScopes: ['full'],
        events: {
          names: expect.arrayContaining(['contact.add', 'invoice.payment.add']) as string[],
          reportsUninstall: false,
          uninstallEvent: null,
          oneEventPerSubscription: false,
        },
        sandbox: true,
      });
      const lightfunnels = res.body.data.find((p: { name: string }) => p.name === 'lightfunnels');
      expect(lightfunnels.events).toMatchObject({
        reportsUninstall: true,
        uninstallEvent: 'app/uninstalled',
        oneEventPerSubscription: true,
      });
      expect(lightfunnels.events.names).toEqual(expect.arrayContaining(['order/created', 'app/uninstalled']));
      const classic = res.body.data.find((p: { name: string }) => p.name === 'clickfunnels-classic');
      expect(classic.events).toEqual({
        names: [],
        reportsUninstall: false,
        uninstallEvent: null,
        oneEventPerSubscription: false,
      });
      expect(JSON.stringify(res.body)).not.toMatch(/secret/i);
    });
  });
});
