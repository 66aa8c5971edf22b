import { RefreshHistory } from '../../src/token-lifecycle/refresh-history';
import { FakeProvider } from '../support/fake-provider';
import { startTestApp, TestApp } from '../support/app';

/** Refreshes per hour and provider (the console's chart), counted in memory and added to the table. */
describe('refresh history', () => {
  const provider = new FakeProvider();
  let t: TestApp;

  beforeAll(async () => {
    await provider.start();
    provider.on('POST', '/token', (req) =>
      String(req.body.refresh_token).startsWith('RT-bad')
        ? { status: 500, json: { error: 'server_error' } }
        : { json: { access_token: 'AT-new', refresh_token: 'RT-new', token_type: 'bearer', expires_in: 86_400 } },
    );
    t = await startTestApp({
      env: {
        SANDBOX: 'false',
        KEAP_CLIENT_ID: 'cid',
        KEAP_CLIENT_SECRET: 'csecret',
        KEAP_TOKEN_URL: `${provider.url}/token`,
        KEAP_API_BASE_URL: `${provider.url}/api`,
      },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await provider.stop();
  });

  it('counts succeeded and failed refreshes per hour and provider, adding up across flushes', async () => {
    const history = t.app.get(RefreshHistory);
    const imported = async (ownerId: string, refreshToken: string) =>
      (
        await t.api
          .post('/connections')
          .send({ provider: 'keap', ownerId, accessToken: 'AT', refreshToken, expiresIn: 3600 })
          .expect(201)
      ).body.id as string;
    const good = await imported('history-good', 'RT-good');
    const bad = await imported('history-bad', 'RT-bad');
    await t.api.post(`/connections/${good}/refresh`).expect(200);
    await t.api.post(`/connections/${bad}/refresh`).expect(502);
    await history.flush();
    const since = new Date(Date.now() - 3_600_000);
    // Summed over the hours returned: the calls may straddle the turn of an hour.
    const total = async () => {
      const hours = await history.hourly(since);
      for (const h of hours) expect(h.hour.getTime() % 3_600_000).toBe(0);
      return hours.reduce((sum, h) => ({ succeeded: sum.succeeded + h.succeeded, failed: sum.failed + h.failed }), {
        succeeded: 0,
        failed: 0,
      });
    };
    expect(await total()).toEqual({ succeeded: 1, failed: 1 });
    await t.api.post(`/connections/${good}/refresh`).expect(200);
    await history.flush();
    expect(await total()).toEqual({ succeeded: 2, failed: 1 });
    const rows = await t.dataSource.query(
      `SELECT provider, sum(succeeded)::int AS succeeded, sum(failed)::int AS failed FROM refresh_history GROUP BY provider`,
    );
    expect(rows).toEqual([{ provider: 'keap', succeeded: 2, failed: 1 }]);
  });
});
