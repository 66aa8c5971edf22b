import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';

describe('API keys, request ids, health and log redaction', () => {
  let t: TestApp;
  const secondKey = `second_${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEYS: `${TEST_API_KEY}, ${secondKey}` } });
  });
  afterAll(() => t.close());

  describe('API-key auth', () => {
    it.each([
      ['no header', undefined],
      ['wrong key', 'Bearer wrong-key-wrong-key-wrong'],
      ['key with a suffix', `Bearer ${TEST_API_KEY}x`],
      ['key prefix', `Bearer ${TEST_API_KEY.slice(0, -1)}`],
      ['Basic scheme', `Basic ${TEST_API_KEY}`],
      ['bare key', TEST_API_KEY],
      ['empty bearer', 'Bearer '],
    ])('refuses %s with 401 unauthorized on every protected route', async (_name, header) => {
      for (const [method, path] of [
        ['get', '/connections'],
        ['post', '/connections'],
        ['get', '/connections/00000000-0000-4000-8000-000000000000'],
        ['get', '/connections/00000000-0000-4000-8000-000000000000/credentials'],
        ['patch', '/connections/00000000-0000-4000-8000-000000000000'],
        ['delete', '/connections/00000000-0000-4000-8000-000000000000'],
        ['get', '/providers'],
      ] as const) {
        const req = t.anon[method](path);
        if (header !== undefined) req.set('Authorization', header);
        const res = await req.expect(401);
        expect(res.body).toMatchObject({ statusCode: 401, code: 'unauthorized' });
      }
    });

    it('accepts every configured key, case-insensitive scheme', async () => {
      await t.anon.get('/connections').set('Authorization', `Bearer ${TEST_API_KEY}`).expect(200);
      await t.anon.get('/connections').set('Authorization', `bearer ${secondKey}`).expect(200);
    });

    it('checks the key before validating input (no information for anonymous callers)', async () => {
      const res = await t.anon.get('/connections/not-a-uuid').expect(401);
      expect(res.body.code).toBe('unauthorized');
    });

    it('leaves health probes and the API docs public', async () => {
      const live = await t.anon.get('/health/live').expect(200);
      expect(live.body.status).toBe('ok');
      const ready = await t.anon.get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
      const docs = await t.anon.get('/docs').expect(200);
      expect(docs.text).toContain('swagger');
      const spec = await t.anon.get('/docs-json').expect(200);
      expect(spec.body.openapi).toMatch(/^3\./);
    });

    it('answers unknown routes with 404 route_not_found in the error shape', async () => {
      const res = await t.api.get('/nope').expect(404);
      expect(res.body).toMatchObject({ statusCode: 404, code: 'route_not_found' });
    });
  });

  describe('X-Request-Id', () => {
    it('generates one and returns it in the header and error bodies', async () => {
      const res = await t.api.get('/connections/00000000-0000-4000-8000-000000000000').expect(404);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('honours a sane incoming id and replaces an unsafe one', async () => {
      const ok = await t.api.get('/connections').set('X-Request-Id', 'trace-abc.123').expect(200);
      expect(ok.headers['x-request-id']).toBe('trace-abc.123');
      const unsafe = await t.api.get('/connections').set('X-Request-Id', 'a b"<script>').expect(200);
      expect(unsafe.headers['x-request-id']).not.toContain('script');
      const long = await t.api.get('/connections').set('X-Request-Id', 'x'.repeat(300)).expect(200);
      expect(long.headers['x-request-id']).toHaveLength(36);
    });
  });

  describe('logs', () => {
    it('are JSON lines with request id, method, path and status', async () => {
      await t.api.get('/connections').query({ limit: 3 }).set('X-Request-Id', 'log-line-1').expect(200);
      const entry = t.logs.entries().find((e) => (e.req as { id?: string } | undefined)?.id === 'log-line-1');
      expect(entry).toBeDefined();
      expect(entry).toMatchObject({ req: { method: 'GET', path: '/connections' }, res: { statusCode: 200 } });
    });

    it('leave out health probes (they come every few seconds), but not a route that only looks alike', async () => {
      await t.anon.get('/health/live').set('X-Request-Id', 'probe-line-1').expect(200);
      await t.anon.get('/healthy').set('X-Request-Id', 'probe-line-2').expect(404);
      // Lines are written when the response has finished: wait for the second one, then look for the first.
      for (
        let i = 0;
        i < 50 && !t.logs.entries().some((e) => (e.req as { id?: string } | undefined)?.id === 'probe-line-2');
        i++
      )
        await new Promise((r) => setTimeout(r, 20));
      const ids = t.logs.entries().map((e) => (e.req as { id?: string } | undefined)?.id);
      expect(ids).toContain('probe-line-2');
      expect(ids).not.toContain('probe-line-1');
    });

    it('never contain tokens, API keys, query strings or bodies, even when requests fail', async () => {
      const accessToken = `AT-${randomBytes(12).toString('hex')}`;
      const refreshToken = `RT-${randomBytes(12).toString('hex')}`;
      const created = await t.api
        .post('/connections')
        .send({ provider: 'keap', ownerId: 'logs-1', accessToken, refreshToken })
        .expect(201);
      await t.api.get('/connections').query({ code: 'oauth-code-xyz', state: 'state-xyz' }).expect(400);
      await t.api.get(`/connections/${created.body.id}/credentials`).expect(200);
      await t.api
        .post('/connections')
        .send({ provider: 'keap', ownerId: 'logs-2', accessToken, refreshToken, bogus: 1 })
        .expect(400);
      await t.api
        .post('/connections')
        .set('Content-Type', 'application/json')
        .send(`{"accessToken":"${accessToken}"`)
        .expect(400);
      await t.anon.get('/connections').set('Authorization', `Bearer ${secondKey}-wrong`).expect(401);
      // A decryption failure is an internal error and is logged: still no secret in the log line.
      const db = t.dataSource;
      const other = await t.api
        .post('/connections')
        .send({ provider: 'keap', ownerId: 'logs-3', accessToken: 'y' })
        .expect(201);
      await db.query(
        `UPDATE connections SET access_token = (SELECT access_token FROM connections WHERE id = $1) WHERE id = $2`,
        [created.body.id, other.body.id],
      );
      await t.api.get(`/connections/${other.body.id}/credentials`).expect(500);

      const text = t.logs.text;
      expect(text.length).toBeGreaterThan(0);
      for (const secret of [accessToken, refreshToken, TEST_API_KEY, secondKey, 'oauth-code-xyz', 'state-xyz']) {
        expect(text).not.toContain(secret);
      }
      expect(text).toContain('"statusCode":500');
      expect(text).toContain('DecryptionError');
    });

    it('redacts secret-named fields in anything logged', async () => {
      // The app's Nest logger (app.useLogger), as every service logs.
      const logger = new Logger('RedactionProbe');
      logger.log(
        {
          accessToken: 'leak-1',
          nested: { client_secret: 'leak-2', deeper: { refresh_token: 'leak-3' } },
          headers: { authorization: 'Bearer leak-4' },
        },
        'redaction probe',
      );
      const text = t.logs.text;
      expect(text).toContain('redaction probe');
      for (const leak of ['leak-1', 'leak-2', 'leak-3', 'leak-4']) expect(text).not.toContain(leak);
    });
  });
});
