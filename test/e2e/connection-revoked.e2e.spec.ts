import request from 'supertest';
import { freePort } from '../../src/database/embedded-postgres';
import { ConnectionLifecycleRepository } from '../../src/connections/persistence/connection-lifecycle.repository';
import { ConnectionsRepository } from '../../src/connections/persistence/connections.repository';
import { RefreshSweep } from '../../src/token-lifecycle/refresh-sweep';
import { startTestApp, TestApp } from '../support/app';
import { addFault, clearSandbox, connectThroughSandbox, refreshCalls } from '../support/sandbox-flow';
import { waitFor } from '../support/wait';

const DAY = 86_400_000;
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

/**
 * A connection whose user uninstalled the app at the provider (issue 24): `revoked`, tokens deleted,
 * `connection.revoked` in the outbox, all in one transaction; 409 connection_revoked wherever a token
 * would be used; never claimed by the sweep; revived by a reconnect of the same account. The inbound
 * event route is not here: the persistence method it calls is driven directly.
 */
describe('revoked connections (uninstalled at the provider)', () => {
  let t: TestApp;
  let lifecycle: ConnectionLifecycleRepository;

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestApp({
      port,
      env: {
        HTTP_TIMEOUT_MS: '3000',
        REFRESH_LEASE_SECONDS: '10',
        REFRESH_SWEEP_INTERVAL_SECONDS: '0',
        // Events stay in the outbox (nothing is sent): the test reads them there.
        WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_DISPATCH_INTERVAL_MS: '0',
      },
    });
    lifecycle = t.app.get(ConnectionLifecycleRepository);
  }, 60_000);
  afterAll(() => t.close());
  beforeEach(async () => {
    for (const p of ['keap', 'webflow']) await clearSandbox(t, p);
  });

  const raw = async (id: string) => (await t.dataSource.query('SELECT * FROM connections WHERE id = $1', [id]))[0];
  type Delivery = { event_type: string; payload: { type: string; data: Record<string, unknown> } };
  const events = async (id: string, type?: string) =>
    t.dataSource.query<Delivery[]>(
      `SELECT event_type, payload FROM webhook_deliveries WHERE connection_id = $1 ${type ? 'AND event_type = $2' : ''}
        ORDER BY created_at, id`,
      type ? [id, type] : [id],
    );
  const whoamiCalls = async (provider: string) =>
    (await request(t.baseUrl).get(`/sandbox/${provider}/calls`).query({ endpoint: 'whoami' }).expect(200))
      .body as unknown[];
  const at = new Date('2031-03-04T05:06:07.089Z');

  it('marks the connection revoked in one transaction: tokens deleted, revokedAt set, one connection.revoked event', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'rv-mark');
    const before = await raw(id);
    expect(before.access_token).not.toBeNull();
    expect(before.refresh_token).not.toBeNull();

    const result = await lifecycle.markRevokedByProvider(id, at, 'app/uninstalled');
    expect(result?.changed).toBe(true);
    expect(result?.connection).toMatchObject({ id, status: 'revoked', accessToken: null, revokedAt: at });

    const after = await raw(id);
    expect(after).toMatchObject({
      id,
      status: 'revoked',
      access_token: null,
      refresh_token: null,
      expires_at: null,
      refresh_token_expires_at: null,
      revoked_at: at,
      next_refresh_at: null,
      next_verify_at: null,
      lease_owner: null,
      lease_until: null,
      token_version: before.token_version + 1,
      owner_id: 'rv-mark',
      account_id: before.account_id,
    });
    expect(after.last_error).toEqual({
      code: 'uninstalled',
      message: 'The provider reported that the user uninstalled the app (app/uninstalled)',
      at: at.toISOString(),
    });

    const revoked = await events(id, 'connection.revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0].payload).toMatchObject({
      type: 'connection.revoked',
      data: {
        connectionId: id,
        provider: 'keap',
        ownerId: 'rv-mark',
        accountId: before.account_id,
        status: 'revoked',
        revokedAt: at.toISOString(),
        error: { code: 'uninstalled' },
      },
    });
    expect(JSON.stringify(revoked[0].payload)).not.toMatch(/sbx_keap_(at|rt)_/);

    const shown = (await t.api.get(`/connections/${id}`).expect(200)).body;
    expect(shown).toMatchObject({ id, status: 'revoked', revokedAt: at.toISOString(), hasRefreshToken: false });

    // The provider retries its uninstall event: nothing changes, no second event.
    const again = await lifecycle.markRevokedByProvider(id, new Date(at.getTime() + 60_000), 'app/uninstalled');
    expect(again?.changed).toBe(false);
    expect((await raw(id)).revoked_at).toEqual(at);
    expect(await events(id, 'connection.revoked')).toHaveLength(1);

    expect(await lifecycle.markRevokedByProvider('00000000-0000-4000-8000-00000000abcd', at, 'x')).toBeNull();
  });

  it('runs in the caller’s transaction when given one: rolled back, nothing is revoked and no event exists', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'rv-rollback');
    const before = await raw(id);
    await expect(
      t.dataSource.transaction(async (tx) => {
        await lifecycle.markRevokedByProvider(id, at, 'app/uninstalled', tx);
        expect((await tx.query('SELECT status FROM connections WHERE id = $1', [id]))[0].status).toBe('revoked');
        throw new Error('the inbound event could not be stored');
      }),
    ).rejects.toThrow('could not be stored');
    expect(await raw(id)).toMatchObject({ status: 'active', access_token: before.access_token, revoked_at: null });
    expect(await events(id, 'connection.revoked')).toEqual([]);
  });

  it('the database refuses a revoked row with tokens, and a live row without them', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'rv-check');
    await expect(
      t.dataSource.query(`UPDATE connections SET status = 'revoked', revoked_at = now() WHERE id = $1`, [id]),
    ).rejects.toThrow(/ck_connections_revoked_tokens/);
    await expect(t.dataSource.query(`UPDATE connections SET access_token = NULL WHERE id = $1`, [id])).rejects.toThrow(
      /ck_connections_revoked_tokens/,
    );
  });

  it('credentials, refresh, verify and the proxy answer 409 connection_revoked; no provider is called', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'rv-409');
    await lifecycle.markRevokedByProvider(id, at, 'app/uninstalled');
    const expectRevoked = (res: request.Response) => {
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ statusCode: 409, code: 'connection_revoked' });
      expect(res.body.message).toContain(id);
    };
    const credentials = await t.api.get(`/connections/${id}/credentials`);
    expectRevoked(credentials);
    expect(credentials.headers['cache-control']).toBe('no-store');
    expectRevoked(await t.api.get(`/connections/${id}/credentials`).query({ forceRefresh: 'true' }));
    expectRevoked(await t.api.post(`/connections/${id}/refresh`));
    expectRevoked(await t.api.post(`/connections/${id}/verify`));
    expectRevoked(await t.api.get(`/proxy/${id}/contacts`));
    expectRevoked(await t.api.post(`/proxy/${id}/contacts`).send({ given_name: 'x' }));
    expect(await refreshCalls(t, 'keap')).toHaveLength(0);
    expect(await whoamiCalls('keap')).toHaveLength(0);
  });

  it('the sweep never claims a revoked connection, for a refresh or a whoami check', async () => {
    const keap = await connectThroughSandbox(t, 'keap', 'rv-sweep-keap');
    const webflow = await connectThroughSandbox(t, 'webflow', 'rv-sweep-webflow');
    await lifecycle.markRevokedByProvider(keap, at, 'app/uninstalled');
    await lifecycle.markRevokedByProvider(webflow, at, 'app/uninstalled');
    // The flows' own calls (Webflow's identity is its whoami) are not the sweep's.
    for (const p of ['keap', 'webflow']) await clearSandbox(t, p);
    // Only these two rows, so whatever the sweep claims is one of them.
    await t.dataSource.query(`DELETE FROM connections WHERE id <> ALL($1)`, [[keap, webflow]]);
    const sweep = t.app.get(RefreshSweep);
    // Far enough ahead that any live token would be due for a refresh and any whoami check due.
    for (const ahead of [30, 60]) {
      const report = await sweep.runOnce(new Date(Date.now() + ahead * DAY));
      expect(report).toMatchObject({ claimed: 0, refreshed: 0, failed: 0, verified: 0 });
    }
    for (const id of [keap, webflow])
      expect(await raw(id)).toMatchObject({
        status: 'revoked',
        access_token: null,
        next_verify_at: null,
        last_verified_at: null,
        lease_owner: null,
        revoked_at: at,
      });
    expect(await refreshCalls(t, 'keap')).toHaveLength(0);
    expect(await whoamiCalls('webflow')).toHaveLength(0);
  });

  it('a refresh in flight when the uninstall arrives stores nothing: the row stays revoked and the caller gets 409', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'rv-race-refresh');
    await addFault(t, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 1500 });
    const refreshing = t.api.post(`/connections/${id}/refresh`).then((res) => res);
    await waitFor(async () => (await raw(id)).lease_owner !== null, 'refresh lease taken');
    await waitFor(
      async () => (await t.dataSource.query(`SELECT remaining FROM sandbox.faults`))[0]?.remaining === 0,
      'refresh at the provider',
    );
    await lifecycle.markRevokedByProvider(id, at, 'app/uninstalled');
    const res = await refreshing;
    expect((await refreshCalls(t, 'keap')).map((c) => c.status)).toEqual([200]);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('connection_revoked');
    expect(await raw(id)).toMatchObject({
      status: 'revoked',
      access_token: null,
      refresh_token: null,
      lease_owner: null,
    });
    expect(await t.dataSource.query(`SELECT id FROM token_revocations WHERE connection_id = $1`, [id])).toEqual([]);
  });

  it('a whoami check in flight when the uninstall arrives does not turn the revoked connection needs_reauth', async () => {
    const id = await connectThroughSandbox(t, 'webflow', 'rv-race-verify');
    await addFault(t, 'webflow', { endpoint: 'whoami', kind: 'slow', delayMs: 1500 });
    const verifying = t.api.post(`/connections/${id}/verify`).then((res) => res);
    await waitFor(
      async () => (await t.dataSource.query(`SELECT remaining FROM sandbox.faults`))[0]?.remaining === 0,
      'whoami at the provider',
    );
    // The uninstall ends the grant at the provider (its whoami now answers 401) and here.
    await t.dataSource.query(`DELETE FROM sandbox.tokens WHERE provider = 'webflow'`);
    await lifecycle.markRevokedByProvider(id, at, 'app/uninstalled');
    const res = await verifying;
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('connection_revoked');
    expect(await raw(id)).toMatchObject({
      status: 'revoked',
      last_error: expect.objectContaining({ code: 'uninstalled' }),
    });
    expect(await events(id, 'connection.needs_reauth')).toEqual([]);
  });

  it('GET /connections lists revoked connections with their status, and filters by it', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'rv-list');
    const live = await connectThroughSandbox(t, 'keap', 'rv-list-live');
    await lifecycle.markRevokedByProvider(id, at, 'app/uninstalled');
    const all = (await t.api.get('/connections').query({ ownerId: 'rv-list' }).expect(200)).body.data;
    expect(all).toEqual([expect.objectContaining({ id, status: 'revoked', revokedAt: at.toISOString() })]);
    const revoked = (await t.api.get('/connections').query({ status: 'revoked', limit: 100 }).expect(200)).body.data;
    expect(revoked.map((c: { id: string }) => c.id)).toContain(id);
    expect(revoked.map((c: { id: string }) => c.id)).not.toContain(live);
    expect(revoked.every((c: { status: string }) => c.status === 'revoked')).toBe(true);
  });

  it('finds the connections of a provider-side account (an uninstall names the account)', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'rv-find-1', 'rv-shared-account');
    const other = await connectThroughSandbox(t, 'keap', 'rv-find-2', 'rv-shared-account');
    const connections = t.app.get(ConnectionsRepository);
    const found = await connections.findAllByAccount('keap', (await raw(id)).account_id);
    expect(found.map((c) => c.id).sort()).toEqual([id, other].sort());
    expect((await connections.findByAccount('keap', (await raw(id)).account_id))?.id).toBe(other);
    expect(await connections.findByAccount('webflow', (await raw(id)).account_id)).toBeNull();
  });

  it('a token import of the same account revives it: active, same id, new tokens, revokedAt cleared', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'rv-import');
    const before = await raw(id);
    await lifecycle.markRevokedByProvider(id, at, 'app/uninstalled');
    const res = await t.api
      .post('/connections')
      .send({
        provider: 'keap',
        ownerId: 'rv-import',
        accountId: before.account_id,
        accessToken: 'at-after-reinstall',
        refreshToken: 'rt-after-reinstall',
        expiresIn: 86400,
      })
      .expect(200);
    expect(res.body).toMatchObject({ id, status: 'active', revokedAt: null, lastError: null, hasRefreshToken: true });
    expect(await raw(id)).toMatchObject({ status: 'active', revoked_at: null, refresh_failures: 0 });
    const credentials = (await t.api.get(`/connections/${id}/credentials`).expect(200)).body;
    expect(credentials.accessToken).toBe('at-after-reinstall');
    expect((await events(id)).map((e) => e.event_type)).toEqual([
      'connection.created',
      'connection.revoked',
      'connection.reconnected',
    ]);
  });

  it('the OAuth flow of the same account revives it, and it refreshes again', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'rv-oauth');
    await lifecycle.markRevokedByProvider(id, at, 'app/uninstalled');
    expect(await connectThroughSandbox(t, 'keap', 'rv-oauth')).toBe(id);
    expect(await raw(id)).toMatchObject({ status: 'active', revoked_at: null });
    expect((await t.api.post(`/connections/${id}/refresh`).expect(200)).body).toMatchObject({ id, status: 'active' });
  });

  it('DELETE still works: the row goes, nothing is queued for revocation, connection.deleted is sent', async () => {
    const id = await connectThroughSandbox(t, 'webflow', 'rv-delete');
    await lifecycle.markRevokedByProvider(id, at, 'app/uninstalled');
    const res = await t.api.delete(`/connections/${id}`).expect(200);
    expect(res.body).toEqual({ id, providerRevocation: 'revoked', subscriptions: { removed: 0, queued: 0 } });
    expect(await raw(id)).toBeUndefined();
    expect(await t.dataSource.query(`SELECT id FROM token_revocations WHERE connection_id = $1`, [id])).toEqual([]);
    expect(
      (await request(t.baseUrl).get('/sandbox/webflow/calls').query({ endpoint: 'revoke' }).expect(200)).body,
    ).toEqual([]);
    expect((await events(id)).map((e) => e.event_type)).toEqual([
      'connection.created',
      'connection.revoked',
      'connection.deleted',
    ]);
  });
});
