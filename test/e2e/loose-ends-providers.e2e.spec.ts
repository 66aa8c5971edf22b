import { RefreshSweep } from '../../src/token-lifecycle/refresh-sweep';
import { startTestApp, TestApp } from '../support/app';
import { FakeProvider } from '../support/fake-provider';

/**
 * Issue 27's provider loose ends through the real app and a recording stand-in for Webflow: a whoami 403
 * is recorded as `forbidden` and leaves the status alone (a 401 still means needs_reauth), and an import
 * with a day that does not exist is refused instead of stored as the next month's.
 */
describe('provider loose ends (issue 27)', () => {
  const fake = new FakeProvider();
  let t: TestApp;
  let answer: { status: number; json: unknown } = { status: 200, json: { id: 'user-1' } };

  beforeAll(async () => {
    await fake.start();
    fake.on('GET', '/wf/api/token/authorized_by', () => answer);
    t = await startTestApp({
      env: {
        SANDBOX: 'false',
        WEBFLOW_CLIENT_ID: 'cid',
        WEBFLOW_CLIENT_SECRET: 'csecret',
        WEBFLOW_AUTHORIZE_URL: `${fake.url}/wf/authorize`,
        WEBFLOW_TOKEN_URL: `${fake.url}/wf/token`,
        WEBFLOW_REVOKE_URL: `${fake.url}/wf/revoke`,
        WEBFLOW_API_BASE_URL: `${fake.url}/wf/api`,
        HTTP_TIMEOUT_MS: '2000',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await fake.stop();
  });

  const raw = async (id: string) =>
    (await t.dataSource.query('SELECT status, last_error, last_verified_at FROM connections WHERE id = $1', [id]))[0];

  async function imported(ownerId: string): Promise<string> {
    const res = await t.api
      .post('/connections')
      .send({ provider: 'webflow', ownerId, accessToken: `at-${ownerId}`, accountId: ownerId })
      .expect(201);
    return res.body.id as string;
  }

  describe('whoami 403', () => {
    it('POST /verify: recorded as forbidden, the connection stays active, the answer is 502', async () => {
      const id = await imported('verify-403');
      answer = { status: 403, json: { code: 'missing_scopes' } };
      const res = await t.api.post(`/connections/${id}/verify`).expect(502);
      expect(res.body).toMatchObject({ code: 'provider_unavailable' });
      expect(res.body.message).toContain('API call answered 403');
      const row = await raw(id);
      expect(row.status).toBe('active');
      expect(row.last_error).toMatchObject({ code: 'forbidden', message: 'API call answered 403' });
      expect(row.last_verified_at).not.toBeNull();
      // Still usable: the credentials route serves the token.
      expect((await t.api.get(`/connections/${id}/credentials`).expect(200)).body.accessToken).toBe('at-verify-403');
    });

    it('the periodic check: recorded as forbidden, status unchanged', async () => {
      const id = await imported('sweep-403');
      // Only this connection is due; the others' checks are a month away.
      await t.dataSource.query(
        `UPDATE connections SET next_verify_at = CASE WHEN id = $1 THEN now() - interval '1 minute'
           ELSE now() + interval '30 days' END`,
        [id],
      );
      answer = { status: 403, json: {} };
      const before = fake.requestsTo('/wf/api/token/authorized_by').length;
      await t.app.get(RefreshSweep).runOnce(new Date());
      expect(fake.requestsTo('/wf/api/token/authorized_by').length).toBe(before + 1);
      const row = await raw(id);
      expect(row.status).toBe('active');
      expect(row.last_error).toMatchObject({ code: 'forbidden' });
    });

    it('a 401 still marks needs_reauth (the token is dead)', async () => {
      const id = await imported('verify-401');
      answer = { status: 401, json: {} };
      const res = await t.api.post(`/connections/${id}/verify`).expect(200);
      expect(res.body).toMatchObject({ status: 'needs_reauth', lastError: { code: 'unauthorized' } });
    });

    it('a later 200 answers the connection, still active', async () => {
      const id = await imported('verify-403-then-ok');
      answer = { status: 403, json: {} };
      await t.api.post(`/connections/${id}/verify`).expect(502);
      answer = { status: 200, json: { id: 'verify-403-then-ok' } };
      const res = await t.api.post(`/connections/${id}/verify`).expect(200);
      expect(res.body.status).toBe('active');
    });
  });

  describe('import dates', () => {
    it.each(['2026-02-30T00:00:00Z', '2027-02-29T00:00:00Z', '2026-04-31T12:00:00+02:00'])(
      'refuses expiresAt %s (no such day) with 400 validation_failed, storing nothing',
      async (expiresAt) => {
        const res = await t.api
          .post('/connections')
          .send({ provider: 'webflow', ownerId: 'no-such-day', accessToken: 'at', expiresAt })
          .expect(400);
        expect(res.body).toMatchObject({
          code: 'validation_failed',
          message: 'expiresAt must be an RFC 3339 date-time such as 2030-01-02T03:04:05Z',
        });
        const rows = await t.dataSource.query(`SELECT 1 FROM connections WHERE owner_id = 'no-such-day'`);
        expect(rows).toEqual([]);
      },
    );

    it('stores a leap day as given, for both date fields', async () => {
      const res = await t.api
        .post('/connections')
        .send({
          provider: 'webflow',
          ownerId: 'leap-day',
          accessToken: 'at',
          expiresAt: '2028-02-29T10:00:00Z',
          refreshTokenExpiresAt: '2032-02-29T23:59:59+00:00',
        })
        .expect(201);
      expect(res.body).toMatchObject({
        expiresAt: '2028-02-29T10:00:00.000Z',
        refreshTokenExpiresAt: '2032-02-29T23:59:59.000Z',
      });
    });
  });
});
