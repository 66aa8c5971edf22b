import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TestApp } from '../support/app';
import { addFault, clearSandbox, connectThroughSandbox, refreshCalls, storedGrant } from '../support/sandbox-flow';

/**
 * The proxy against the provider simulators (the sandbox), over real HTTP: each provider's API slice
 * through /proxy with the connection's token, and Keap's rotating refresh tokens intact after refreshes
 * the proxy triggered.
 */
describe('proxy against the simulators', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ port: await freePort() });
  }, 60_000);
  afterAll(() => t?.close());

  it("Keap: GET and POST on the simulator's API with the connection's token", async () => {
    const id = await connectThroughSandbox(t, 'keap', 'proxy-keap');
    const empty = await t.api.get(`/proxy/${id}/contacts`).expect(200);
    expect(empty.body).toEqual({ contacts: expect.any(Array), count: expect.any(Number), next: null, previous: null });
    expect(empty.headers['proxy-status']).toBe('oauth-connections; received-status=200');
    const created = await t.api
      .post(`/proxy/${id}/contacts`)
      .send({ given_name: 'Grace', email_addresses: [{ email: 'grace@example.com', field: 'EMAIL1' }] })
      .expect(201);
    expect(created.body.given_name).toBe('Grace');
    const listed = await t.api.get(`/proxy/${id}/contacts`).query({ limit: 100 }).expect(200);
    expect(listed.body.contacts.map((c: { id: number }) => c.id)).toContain(created.body.id);
  });

  it("ClickFunnels 2.0: the connection's workspace is its API base", async () => {
    const id = await connectThroughSandbox(t, 'clickfunnels', 'proxy-cf');
    const connection = await t.api.get(`/connections/${id}`).expect(200);
    expect(connection.body.apiBaseUrl).toMatch(/\/sandbox\/clickfunnels\/api\/workspaces\/\d+$/);
    const workspace = await t.api.get(`/proxy/${id}`).set('User-Agent', 'proxy-test').expect(200);
    expect(workspace.body).toMatchObject({ id: expect.any(Number), subdomain: expect.any(String) });
  });

  it("Keap: a 401 of the simulator's API → one refresh → replay, three times over, and the rotating refresh token stays the live one", async () => {
    const id = await connectThroughSandbox(t, 'keap', 'proxy-rotation');
    await clearSandbox(t, 'keap');
    for (let round = 1; round <= 3; round++) {
      // As if PROXY_RENEW_MIN_INTERVAL_SECONDS had passed since the last renewal (within it, a 401 goes back as it is).
      await t.dataSource.query(
        `UPDATE connections SET last_refreshed_at = last_refreshed_at - interval '1 hour' WHERE id = $1`,
        [id],
      );
      // The simulator refuses the next API call once (its token revoked, as a provider would).
      await addFault(t, 'keap', { endpoint: 'api', kind: 'invalid_token', remaining: 1 });
      const res = await t.api.get(`/proxy/${id}/contacts`).expect(200);
      expect(res.body.contacts).toEqual(expect.any(Array));
      const refreshes = (await refreshCalls(t, 'keap')).filter((c) => c.status === 200);
      expect(refreshes).toHaveLength(round);
      expect(await storedGrant(t, id)).toMatchObject({ live: true });
    }
    // No fault left: the stored token works as it is, without another refresh.
    await t.api.get(`/proxy/${id}/contacts`).expect(200);
    expect((await refreshCalls(t, 'keap')).filter((c) => c.status === 200)).toHaveLength(3);
    const after = await t.api.get(`/connections/${id}`).expect(200);
    expect(after.body).toMatchObject({ status: 'active', refreshFailures: 0 });
  });
});
