import { OAuthHousekeeping } from '../../src/oauth/oauth-housekeeping';
import { startTestApp, TestApp } from '../support/app';

describe('housekeeping of flow records', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('deletes connect sessions and states expired for more than a day, and nothing else', async () => {
    const fresh = await t.api.post('/connect-sessions').send({ provider: 'keap', ownerId: 'hk-fresh' }).expect(201);
    const old = await t.api.post('/connect-sessions').send({ provider: 'keap', ownerId: 'hk-old' }).expect(201);
    await t.dataSource.query(`UPDATE connect_sessions SET expires_at = now() - interval '25 hours' WHERE id = $1`, [
      old.body.id,
    ]);
    const purged = await t.app.get(OAuthHousekeeping).purge();
    expect(purged.sessions).toBe(1);
    const left = await t.dataSource.query(`SELECT id FROM connect_sessions`);
    expect(left).toEqual([{ id: fresh.body.id }]);
  });
});
