import { freePort } from '../../src/database/embedded-postgres';
import { RefreshBudget } from '../../src/token-lifecycle/refresh-budget';
import { RefreshSweep } from '../../src/token-lifecycle/refresh-sweep';
import { RefreshService } from '../../src/token-lifecycle/refresh.service';
import { createTestDatabase } from '../support/database';
import { startTestApp, TestApp } from '../support/app';
import {
  addFault,
  clearSandbox,
  connectThroughSandbox,
  faultsTaken,
  refreshCalls,
  storedGrant,
} from '../support/sandbox-flow';
import { waitFor } from '../support/wait';

const HOUR = 3_600_000;

describe('token lifecycle against the simulators (one instance)', () => {
  let t: TestApp;

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestApp({
      port,
      env: {
        HTTP_TIMEOUT_MS: '3000',
        REFRESH_LEASE_SECONDS: '10',
        REFRESH_MAX_FAILURES: '2',
        REFRESH_BACKOFF_BASE_SECONDS: '30',
      },
    });
  }, 60_000);
  afterAll(() => t.close());
  beforeEach(async () => {
    for (const p of ['keap', 'webflow', 'clickfunnels']) await clearSandbox(t, p);
  });

  const raw = async (id: string) => (await t.dataSource.query('SELECT * FROM connections WHERE id = $1', [id]))[0];
  const credentials = (id: string, force = false) =>
    t.api.get(`/connections/${id}/credentials`).query(force ? { forceRefresh: 'true' } : {});

  describe('on demand', () => {
    it('serves a fresh token without calling the provider', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'od-fresh');
      const res = await credentials(id).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(await refreshCalls(t, 'keap')).toHaveLength(0);
    });

    it('forceRefresh rotates the tokens once, bumps token_version, and the next round uses the rotated refresh token', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'od-force');
      const before = await raw(id);
      const old = (await credentials(id).expect(200)).body.accessToken;
      const first = (await credentials(id, true).expect(200)).body;
      expect(first.accessToken).not.toBe(old);
      const after = await raw(id);
      expect(after.token_version).toBe(before.token_version + 1);
      expect(after.refresh_token).not.toBe(before.refresh_token);
      expect(after.last_refreshed_at).not.toBeNull();
      const second = (await t.api.post(`/connections/${id}/refresh`).expect(200)).body;
      expect(second).toMatchObject({
        id,
        status: 'active',
        refreshFailures: 0,
        lastError: null,
        hasRefreshToken: true,
      });
      const calls = await refreshCalls(t, 'keap');
      expect(calls.map((c) => c.status)).toEqual([200, 200]);
      expect(JSON.stringify(second)).not.toMatch(/sbx_keap_(at|rt)_/);
    });

    it('refreshes first when the token expires within CREDENTIALS_SKEW_SECONDS', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'od-skew');
      await t.dataSource.query(`UPDATE connections SET expires_at = now() + interval '60 seconds' WHERE id = $1`, [id]);
      const res = (await credentials(id).expect(200)).body;
      expect(Date.parse(res.expiresAt) - Date.now()).toBeGreaterThan(23 * HOUR);
      expect(await refreshCalls(t, 'keap')).toHaveLength(1);
    });

    it('50 concurrent forced calls share one refresh and all get the same new token', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'od-concurrent');
      // A provider answer that takes a moment, so every request begins before the refresh finishes.
      await addFault(t, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 1500 });
      const results = await Promise.all(Array.from({ length: 50 }, () => credentials(id, true)));
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
      expect(new Set(results.map((r) => r.body.accessToken)).size).toBe(1);
      expect(await refreshCalls(t, 'keap')).toHaveLength(1);
    });

    it('a reconnect while a refresh fails wins: the old grant’s failure is not written onto the new tokens', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'od-reconnect-during-failure');
      const before = await raw(id);
      // The provider holds the refresh answer, so the reconnect happens while the call is in flight.
      await addFault(t, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 1500 });
      const refreshing = t.api.post(`/connections/${id}/refresh`).then((res) => res);
      await waitFor(async () => (await raw(id)).lease_owner !== null);
      await waitFor(async () => (await t.dataSource.query(`SELECT remaining FROM sandbox.faults`))[0]?.remaining === 0);
      // The user connects the same account again (same row, new tokens, token_version bumped)…
      await t.api
        .post('/connections')
        .send({
          provider: 'keap',
          ownerId: before.owner_id,
          accountId: before.account_id,
          accessToken: 'at-new',
          refreshToken: 'rt-new',
          expiresIn: 86400,
        })
        .expect(200);
      // …and the old refresh token dies at the provider, so the held refresh answers invalid_grant.
      await t.dataSource.query(`DELETE FROM sandbox.tokens WHERE provider = 'keap'`);
      const res = await refreshing;
      const calls = await refreshCalls(t, 'keap');
      expect(calls.map((c) => c.status)).toEqual([400]);
      expect(res.status).toBe(200);
      const after = await raw(id);
      expect(after.status).toBe('active');
      expect(after.refresh_failures).toBe(0);
      expect(after.last_error).toBeNull();
      expect(after.next_refresh_at).toBeNull();
      expect(after.lease_owner).toBeNull();
      expect(after.token_version).toBe(before.token_version + 1);
      expect((await credentials(id).expect(200)).body.accessToken).toBe('at-new');
    });

    it('works for any provider with refresh tokens: ClickFunnels Classic rotates too', async () => {
      const id = await connectThroughSandbox(t, 'clickfunnels-classic', 'od-classic');
      const before = await raw(id);
      await t.api.post(`/connections/${id}/refresh`).expect(200);
      await t.api.post(`/connections/${id}/refresh`).expect(200);
      const after = await raw(id);
      expect(after.token_version).toBe(before.token_version + 2);
      expect(after.refresh_token).not.toBe(before.refresh_token);
    });

    it('a connection without refresh token is served as is and refuses forceRefresh', async () => {
      const id = await connectThroughSandbox(t, 'webflow', 'od-webflow');
      await credentials(id).expect(200);
      expect((await credentials(id, true).expect(400)).body.code).toBe('refresh_not_supported');
      expect((await t.api.post(`/connections/${id}/refresh`).expect(400)).body.code).toBe('refresh_not_supported');
    });

    it('validates forceRefresh', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'od-validate');
      expect(
        (await t.api.get(`/connections/${id}/credentials`).query({ forceRefresh: 'yes' }).expect(400)).body.code,
      ).toBe('validation_failed');
      expect((await t.api.get(`/connections/${id}/credentials`).query({ other: '1' }).expect(400)).body.code).toBe(
        'validation_failed',
      );
    });
  });

  describe('faults: tokens are kept, the error is recorded, the status follows the rules', () => {
    const transient: [string, Record<string, unknown>, string][] = [
      ['500', { kind: 'status_500' }, 'unavailable'],
      ['503', { kind: 'status_503' }, 'unavailable'],
      ['non-JSON', { kind: 'non_json' }, 'bad_response'],
      ['no access_token', { kind: 'no_access_token' }, 'bad_response'],
      ['a redirect', { kind: 'redirect' }, 'bad_response'],
      ['invalid_client', { kind: 'invalid_client' }, 'invalid_client'],
    ];
    it.each(transient)(
      '%s → 502 provider_unavailable, tokens unchanged, error recorded, retry scheduled',
      async (_name, fault, code) => {
        const id = await connectThroughSandbox(t, 'keap', `fault-${_name}`);
        const before = await raw(id);
        await addFault(t, 'keap', { endpoint: 'refresh', ...fault });
        const res = await t.api.post(`/connections/${id}/refresh`).expect(502);
        expect(res.body.code).toBe('provider_unavailable');
        const after = await raw(id);
        expect(after.access_token).toBe(before.access_token);
        expect(after.refresh_token).toBe(before.refresh_token);
        expect(after.token_version).toBe(before.token_version);
        expect(after).toMatchObject({ status: 'active', refresh_failures: 1, lease_owner: null });
        expect(after.last_error).toMatchObject({ code });
        expect(JSON.stringify(after.last_error)).not.toMatch(/sbx_keap/);
        // The provider's own words (the simulator's error_description says "Simulated …") are never stored.
        expect(JSON.stringify(after.last_error)).not.toMatch(/Simulated/);
        expect(after.next_refresh_at.getTime()).toBeGreaterThan(Date.now() + 10_000);
        // The stored token is still valid, so credentials are served without another call.
        await credentials(id).expect(200);
        // And the grant still works once the provider recovers.
        await t.api.post(`/connections/${id}/refresh`).expect(200);
      },
    );

    it('a timeout → 502, tokens unchanged, error recorded; the late answer the provider still sends is lost', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'fault-timeout');
      const before = await raw(id);
      await addFault(t, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: 4000 });
      expect((await t.api.post(`/connections/${id}/refresh`).expect(502)).body.code).toBe('provider_unavailable');
      const after = await raw(id);
      expect(after).toMatchObject({
        access_token: before.access_token,
        refresh_token: before.refresh_token,
        token_version: before.token_version,
        refresh_failures: 1,
      });
      expect(after.last_error).toMatchObject({ code: 'timeout' });
      // Let the simulator finish the call we gave up on, so it cannot land in the next test's counts.
      // (It rotates the refresh token we never received: the "lost response" window DESIGN.md names.)
      await waitFor(async () => (await refreshCalls(t, 'keap')).length === 1, 'the late answer sent', 10_000);
      const [late] = await refreshCalls(t, 'keap');
      // The provider did answer, with rotated tokens; the row still holds what it had: the answer is lost.
      expect(late.status).toBe(200);
      expect(await raw(id)).toMatchObject({
        access_token: before.access_token,
        refresh_token: before.refresh_token,
        token_version: before.token_version,
        refresh_failures: 1,
        lease_owner: null,
      });
    });

    it('429 with Retry-After: the next try waits as told, a valid token is still served', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'fault-429');
      await addFault(t, 'keap', { endpoint: 'refresh', kind: 'rate_limit', retryAfter: '120' });
      const res = await t.api.post(`/connections/${id}/refresh`).expect(502);
      expect(res.headers['retry-after']).toBe('120');
      const after = await raw(id);
      expect(after.last_error.code).toBe('rate_limited');
      expect(after.next_refresh_at.getTime() - Date.now()).toBeGreaterThan(115_000);
      // Inside the Retry-After window nothing is sent, forced or not.
      const forced = await credentials(id, true).expect(200);
      expect(forced.body.accessToken).toBeDefined();
      await t.api.post(`/connections/${id}/refresh`).expect(502);
      expect((await refreshCalls(t, 'keap')).length).toBe(1);
    });

    it.each([
      ['invalid_grant', { kind: 'invalid_grant' }],
      ['200 with error=invalid_grant', { kind: 'error_200' }],
    ])('%s → needs_reauth (409), tokens kept', async (_name, fault) => {
      const id = await connectThroughSandbox(t, 'keap', `fault-${_name}`);
      const before = await raw(id);
      await addFault(t, 'keap', { endpoint: 'refresh', ...fault });
      expect((await t.api.post(`/connections/${id}/refresh`).expect(409)).body.code).toBe('connection_needs_reauth');
      const after = await raw(id);
      expect(after).toMatchObject({
        status: 'needs_reauth',
        access_token: before.access_token,
        refresh_token: before.refresh_token,
      });
      expect((await credentials(id).expect(409)).body.code).toBe('connection_needs_reauth');
      // A reconnect through a new connect session makes it active again, same id.
      expect(await connectThroughSandbox(t, 'keap', `fault-${_name}`)).toBe(id);
      expect((await t.api.get(`/connections/${id}`).expect(200)).body.status).toBe('active');
    });

    it('after REFRESH_MAX_FAILURES failures → refresh_failed; once the token has expired → expired (502); a success → active', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'fault-machine');
      await addFault(t, 'keap', { endpoint: 'refresh', kind: 'status_500', remaining: 3 });
      await t.api.post(`/connections/${id}/refresh`).expect(502);
      expect((await raw(id)).status).toBe('active');
      await t.dataSource.query('UPDATE connections SET next_refresh_at = NULL WHERE id = $1', [id]);
      await t.api.post(`/connections/${id}/refresh`).expect(502);
      expect((await raw(id)).status).toBe('refresh_failed');
      await t.dataSource.query(
        `UPDATE connections SET next_refresh_at = NULL, expires_at = now() - interval '1 second' WHERE id = $1`,
        [id],
      );
      expect((await credentials(id).expect(502)).body.code).toBe('provider_unavailable');
      expect((await raw(id)).status).toBe('expired');
      await t.dataSource.query('UPDATE connections SET next_refresh_at = NULL WHERE id = $1', [id]);
      const ok = await credentials(id).expect(200);
      expect(Date.parse(ok.body.expiresAt)).toBeGreaterThan(Date.now());
      expect(await raw(id)).toMatchObject({ status: 'active', refresh_failures: 0, last_error: null });
    });
  });

  describe('verify', () => {
    it('a working token is recorded as verified', async () => {
      const id = await connectThroughSandbox(t, 'webflow', 'verify-ok');
      const res = await t.api.post(`/connections/${id}/verify`).expect(200);
      expect(res.body.status).toBe('active');
      expect((await raw(id)).last_verified_at).not.toBeNull();
    });

    it('a 401 from the whoami call marks needs_reauth', async () => {
      const id = await connectThroughSandbox(t, 'clickfunnels', 'verify-401');
      await addFault(t, 'clickfunnels', { endpoint: 'whoami', kind: 'invalid_token' });
      const res = await t.api.post(`/connections/${id}/verify`).expect(200);
      expect(res.body.status).toBe('needs_reauth');
      expect(res.body.lastError.code).toBe('unauthorized');
    });

    it('a provider without a whoami call answers 400 verify_not_supported', async () => {
      const id = await connectThroughSandbox(t, 'clickfunnels-classic', 'verify-none');
      expect((await t.api.post(`/connections/${id}/verify`).expect(400)).body.code).toBe('verify_not_supported');
    });
  });

  describe('revoke on delete', () => {
    it('deleting a Webflow connection revokes the token at Webflow', async () => {
      const id = await connectThroughSandbox(t, 'webflow', 'revoke-wf');
      const { accessToken } = (await credentials(id).expect(200)).body;
      const whoami = () =>
        t.anon.get('/sandbox/webflow/api/token/authorized_by').set('Authorization', `Bearer ${accessToken}`);
      await whoami().expect(200);
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body).toEqual({
        id,
        providerRevocation: 'revoked',
        subscriptions: { removed: 0, queued: 0 },
      });
      await whoami().expect(401);
      await t.api.get(`/connections/${id}`).expect(404);
    });

    it('a revoke failure is reported and the local delete still happens', async () => {
      const id = await connectThroughSandbox(t, 'clickfunnels', 'revoke-fail');
      await addFault(t, 'clickfunnels', { endpoint: 'revoke', kind: 'status_500' });
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body).toEqual({
        id,
        providerRevocation: 'failed',
        subscriptions: { removed: 0, queued: 0 },
      });
      await t.api.get(`/connections/${id}`).expect(404);
    });

    it('Keap has no revoke endpoint: unsupported', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'revoke-keap');
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body.providerRevocation).toBe('unsupported');
    });
  });

  describe('the sweep, with a fake clock (runOnce(now))', () => {
    const sweep = () => t.app.get(RefreshSweep);
    /** Each test sweeps over its own connection only. */
    const onlyThis = (id: string) => t.dataSource.query('DELETE FROM connections WHERE id <> $1', [id]);

    it('refreshes a Keap token inside its lead window, not before', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'sweep-lead');
      await onlyThis(id);
      const expiresAt = (await raw(id)).expires_at.getTime();
      await sweep().runOnce(new Date(expiresAt - 2 * HOUR));
      expect(await refreshCalls(t, 'keap')).toHaveLength(0);
      expect((await raw(id)).last_refreshed_at).toBeNull();
      const report = await sweep().runOnce(new Date(expiresAt - HOUR + 60_000));
      expect(report.refreshed).toBeGreaterThanOrEqual(1);
      expect(await refreshCalls(t, 'keap')).toHaveLength(1);
      const after = await raw(id);
      expect(after.expires_at.getTime()).toBeGreaterThan(expiresAt);
      expect(after.lease_owner).toBeNull();
    });

    it('refreshes a token whose refresh token nears its horizon', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'sweep-horizon');
      await onlyThis(id);
      await t.dataSource.query(
        `UPDATE connections SET refresh_token_expires_at = now() + interval '2 days' WHERE id = $1`,
        [id],
      );
      await sweep().runOnce(new Date());
      expect(await refreshCalls(t, 'keap')).toHaveLength(1);
      expect((await raw(id)).refresh_token_expires_at.getTime()).toBeGreaterThan(Date.now() + 40 * 24 * HOUR);
    });

    it('never claims a connection without refresh token, and the clock never marks it expired', async () => {
      const id = await connectThroughSandbox(t, 'clickfunnels', 'sweep-cf2');
      await onlyThis(id);
      await sweep().runOnce(new Date(Date.now() + 365 * 24 * HOUR));
      const after = await raw(id);
      expect(after.status).toBe('active');
      expect(after.last_refreshed_at).toBeNull();
      await credentials(id).expect(200);
    });

    it('spreads whoami checks of non-expiring connections over VERIFY_INTERVAL_HOURS and runs them when due', async () => {
      const id = await connectThroughSandbox(t, 'webflow', 'sweep-verify');
      await onlyThis(id);
      const now = Date.now();
      await sweep().runOnce(new Date(now));
      const scheduled = (await raw(id)).next_verify_at.getTime();
      expect(scheduled).toBeGreaterThanOrEqual(now - 1000);
      expect(scheduled).toBeLessThanOrEqual(now + 24 * HOUR + 1000);
      await sweep().runOnce(new Date(now + 25 * HOUR));
      const after = await raw(id);
      expect(after.last_verified_at).not.toBeNull();
      expect(after.next_verify_at.getTime()).toBeGreaterThan(now + 25 * HOUR);
      expect(after.lease_owner).toBeNull();
    });

    it('records failures, backs off, and leaves needs_reauth connections alone', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'sweep-fail');
      await onlyThis(id);
      const expiresAt = (await raw(id)).expires_at.getTime();
      await addFault(t, 'keap', { endpoint: 'refresh', kind: 'invalid_grant' });
      await sweep().runOnce(new Date(expiresAt - 30 * 60_000));
      expect((await raw(id)).status).toBe('needs_reauth');
      await sweep().runOnce(new Date(expiresAt - 20 * 60_000));
      expect(await refreshCalls(t, 'keap')).toHaveLength(1);
    });
  });
});

describe('the sweep and an on-demand call racing on one replica', () => {
  let t: TestApp;
  const HOLD_MS = 3000;

  beforeAll(async () => {
    t = await startTestApp({
      port: await freePort(),
      env: { REFRESH_CONCURRENCY: '1', HTTP_TIMEOUT_MS: '5000', REFRESH_LEASE_SECONDS: '30' },
    });
  }, 60_000);
  afterAll(() => t.close());
  beforeEach(async () => {
    await clearSandbox(t, 'keap');
    // Each test sweeps over its own connections only.
    await t.dataSource.query('DELETE FROM connections');
  });

  const forced = (id: string) => t.api.get(`/connections/${id}/credentials`).query({ forceRefresh: 'true' });
  const leaseOf = async (id: string) =>
    (await t.dataSource.query('SELECT lease_owner, lease_until FROM connections WHERE id = $1', [id]))[0];

  /**
   * Two due Keap connections; the sweep (one row at a time) claims both and the provider holds the
   * first refresh. Returns once that refresh is at the provider and the other row waits in the batch
   * under the sweep's lease.
   */
  async function sweepHoldingOne(owner: string) {
    const ids = [
      await connectThroughSandbox(t, 'keap', `${owner}-a`),
      await connectThroughSandbox(t, 'keap', `${owner}-b`),
    ];
    await t.dataSource.query(`UPDATE connections SET expires_at = now() + interval '10 minutes' WHERE id = ANY($1)`, [
      ids,
    ]);
    const grants = new Map(await Promise.all(ids.map(async (id) => [id, (await storedGrant(t, id)).grantId] as const)));
    await addFault(t, 'keap', { endpoint: 'refresh', kind: 'slow', delayMs: HOLD_MS });
    // The sweep's clock runs a second behind: its claim leases both rows until clock + lease, and the
    // row it is refreshing gets its lease extended from the real clock (confirmLease), a second later.
    // That tells the row in flight from the one waiting in the batch.
    const sweeping = t.app.get(RefreshSweep).runOnce(new Date(Date.now() - 1000));
    const sweepOwner = t.app.get(RefreshService).owner;
    await waitFor(async () => {
      const rows = await Promise.all(ids.map(leaseOf));
      return (
        rows.every((r) => r.lease_owner === sweepOwner) &&
        (await faultsTaken((sql, params) => t.dataSource.query(sql, params), 'keap'))
      );
    }, 'the sweep claimed both rows and its first refresh is held at the provider');
    const [x, y] = await Promise.all(ids.map(leaseOf));
    const [inFlight, waiting] = x.lease_until > y.lease_until ? ids : [ids[1], ids[0]];
    expect(Math.abs(x.lease_until.getTime() - y.lease_until.getTime())).toBeGreaterThanOrEqual(900);
    // Nothing has come back from the provider yet.
    expect(await refreshCalls(t, 'keap')).toEqual([]);
    return { sweeping, inFlight, waiting, grantOf: (id: string) => grants.get(id) };
  }

  it('an on-demand call for a row waiting in the sweep’s batch waits for the sweep’s refresh instead of calling with the same refresh token', async () => {
    const { sweeping, inFlight, waiting, grantOf } = await sweepHoldingOne('race-wait');
    const onDemand = await forced(waiting);
    const report = await sweeping;
    expect(onDemand.status).toBe(200);
    expect(report).toMatchObject({ claimed: 2, refreshed: 2, failed: 0, deferred: 0 });
    // One call per row, the waiting row's only after the held one came back: the on-demand call made
    // none of its own while the sweep held the row's lease.
    const calls = await refreshCalls(t, 'keap');
    expect(calls.map((c) => [c.grantId, c.status])).toEqual([
      [grantOf(inFlight), 200],
      [grantOf(waiting), 200],
    ]);
    // It got the token the sweep stored.
    expect((await t.api.get(`/connections/${waiting}/credentials`).expect(200)).body.accessToken).toBe(
      onDemand.body.accessToken,
    );
    const rows = await t.dataSource.query(`SELECT status, lease_owner FROM connections ORDER BY id`);
    expect(rows).toEqual([
      { status: 'active', lease_owner: null },
      { status: 'active', lease_owner: null },
    ]);
    for (const id of [inFlight, waiting]) expect((await storedGrant(t, id)).live).toBe(true);
  }, 30_000);

  it('a row whose sweep lease ran out while it waited in the batch is refreshed on demand, and the sweep then skips it (confirmLease)', async () => {
    const { sweeping, inFlight, waiting, grantOf } = await sweepHoldingOne('race-lapsed');
    // The batch has taken longer than the lease: the waiting row's lease runs out while the first
    // refresh is still held.
    await t.dataSource.query(`UPDATE connections SET lease_until = now() - interval '1 second' WHERE id = $1`, [
      waiting,
    ]);
    const onDemand = await forced(waiting).expect(200);
    // The on-demand refresh happened while the sweep's first call was still held.
    expect((await refreshCalls(t, 'keap')).map((c) => [c.grantId, c.status])).toEqual([[grantOf(waiting), 200]]);
    expect((await leaseOf(inFlight)).lease_owner).not.toBeNull();
    const report = await sweeping;
    expect(report).toMatchObject({ claimed: 2, failed: 0 });
    // When the sweep reached the row, its token_version had moved on: no call with the rotated-away token.
    const calls = await refreshCalls(t, 'keap');
    expect(calls.map((c) => [c.grantId, c.status])).toEqual([
      [grantOf(waiting), 200],
      [grantOf(inFlight), 200],
    ]);
    const rows = await t.dataSource.query(`SELECT status, lease_owner FROM connections ORDER BY id`);
    expect(rows).toEqual([
      { status: 'active', lease_owner: null },
      { status: 'active', lease_owner: null },
    ]);
    expect((await t.api.get(`/connections/${waiting}/credentials`).expect(200)).body.accessToken).toBe(
      onDemand.body.accessToken,
    );
    for (const id of [inFlight, waiting]) expect((await storedGrant(t, id)).live).toBe(true);
  }, 30_000);
});

describe('the refresh budget', () => {
  it('is one bucket per provider shared by every replica: one token at a time, then nothing without waiting', async () => {
    const databaseUrl = await createTestDatabase();
    const one = await startTestApp({ databaseUrl });
    const two = await startTestApp({ databaseUrl });
    try {
      const takes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? one : two).app.get(RefreshBudget).take('budget-test', 0.5, 0)),
      );
      // Rate 0.5/s: the bucket holds one token; a dozen immediate takes over two replicas get exactly
      // that one (a refill needs 2 s).
      expect(takes.filter(Boolean)).toHaveLength(1);
      // Waiting is allowed: the next take succeeds once a token has come back.
      expect(await one.app.get(RefreshBudget).take('budget-test', 0.5, 3000)).toBe(true);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('never lets more than the rate through in any 1-second window across replicas, even from idle, and keeps the pace', async () => {
    const databaseUrl = await createTestDatabase();
    const one = await startTestApp({ databaseUrl });
    const two = await startTestApp({ databaseUrl });
    const rate = 10;
    const runMs = 2500;
    const granted: number[] = [];
    try {
      const started = Date.now();
      // Eight takers per replica, each taking again as soon as it is granted, from an idle (full) bucket.
      await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          const budget = (i % 2 ? one : two).app.get(RefreshBudget);
          while (Date.now() - started < runMs) {
            if (await budget.take('budget-window', rate, runMs)) granted.push(Date.now());
          }
        }),
      );
      granted.sort((a, b) => a - b);
      const inRun = granted.filter((at) => at - started < runMs);
      // The busiest window, seen from the client (a few ms of network jitter allowed for).
      let busiest = 0;
      for (let i = 0; i < inRun.length; i++) {
        const end = inRun[i] + 950;
        busiest = Math.max(busiest, inRun.filter((at) => at >= inRun[i] && at < end).length);
      }
      expect(busiest).toBeLessThanOrEqual(rate);
      // And takers are served, not starved (25 slots in 2.5 s; a loaded CI machine wakes late and
      // re-reserves some). How much of the budget a long sweep uses is measured by npm run bench.
      expect(inRun.length).toBeGreaterThanOrEqual(10);
    } finally {
      await one.close();
      await two.close();
    }
  }, 30_000);

  it('lives in an UNLOGGED table (a take does not wait for a WAL flush) and survives losing its rows, as after a crash', async () => {
    const t = await startTestApp();
    try {
      const [{ relpersistence }] = await t.dataSource.query(
        `SELECT relpersistence FROM pg_class WHERE relname = 'refresh_budgets'`,
      );
      expect(relpersistence).toBe('u');
      const budget = t.app.get(RefreshBudget);
      expect(await budget.take('crash-test', 0.5, 0)).toBe(true);
      expect(await budget.take('crash-test', 0.5, 0)).toBe(false);
      // Postgres empties unlogged tables in crash recovery; this process still believes the row exists.
      await t.dataSource.query(`TRUNCATE refresh_budgets`);
      expect(await budget.take('crash-test', 0.5, 0)).toBe(true);
      expect(await budget.take('crash-test', 0.5, 0)).toBe(false);
      expect(await t.dataSource.query(`SELECT provider FROM refresh_budgets`)).toEqual([{ provider: 'crash-test' }]);
    } finally {
      await t.close();
    }
  });
});

describe('a crashed lease holder', () => {
  it('blocks refresh only until its lease expires', async () => {
    const port = await freePort();
    const t = await startTestApp({
      port,
      env: { HTTP_TIMEOUT_MS: '1000', REFRESH_LEASE_SECONDS: '2', REFRESH_WAIT_SECONDS: '1' },
    });
    try {
      const id = await connectThroughSandbox(t, 'keap', 'crash');
      await t.dataSource.query(
        `UPDATE connections SET lease_owner = 'dead-replica', lease_until = now() + interval '2 seconds' WHERE id = $1`,
        [id],
      );
      const blocked = await t.api.get(`/connections/${id}/credentials`).query({ forceRefresh: 'true' }).expect(503);
      expect(blocked.body.code).toBe('refresh_in_progress');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // The dead replica's lease runs out (written in the past rather than waited for): the next call takes over.
      await t.dataSource.query(`UPDATE connections SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
      await t.api.get(`/connections/${id}/credentials`).query({ forceRefresh: 'true' }).expect(200);
      expect(await t.dataSource.query('SELECT lease_owner FROM connections WHERE id = $1', [id])).toEqual([
        { lease_owner: null },
      ]);
      expect(await refreshCalls(t, 'keap')).toHaveLength(1);
    } finally {
      await t.close();
    }
  }, 30_000);
});
