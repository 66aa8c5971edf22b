import { tokenContext } from '../../src/connections/token-context';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { ProviderCatalog } from '../../src/providers/core/provider-catalog';
import { revocationContext } from '../../src/revocations/revocation-context';
import { RevocationWorker } from '../../src/revocations/revocation-worker';
import { RefreshSweep } from '../../src/token-lifecycle/refresh-sweep';
import { startTestApp, TestApp } from '../support/app';
import { StubProvider } from '../support/stub-provider';
import { gate } from '../support/wait';

interface QueueRow {
  id: string;
  provider: string;
  connection_id: string;
  reason: string;
  access_token: string | null;
  refresh_token: string | null;
  status: string;
}

/**
 * Tokens a refresh obtains but cannot store, because its connection was deleted or a reconnect replaced
 * the tokens while the refresh was at the provider, are live tokens nobody holds: they are queued for
 * revocation in the transaction that decides they are not stored, and the revocation worker revokes
 * them. The provider is a recording stand-in (PROVIDERS_FILE, RFC 7009 revoke endpoint) whose token
 * answers the test holds and releases, so the DELETE or the reconnect lands while the refresh is in
 * flight.
 */
describe('tokens a refresh obtains after its connection was deleted or reconnected are revoked', () => {
  // Filled in once the stand-in listens: the entry object is read when the providers file is written.
  const entry: Record<string, unknown> = {};
  const stub = new StubProvider('stub', entry);
  const fake = stub.fake;
  let t: TestApp;
  /** What the revoke endpoint answers next (RFC 7009: 200). */
  let revokeStatus = 200;

  beforeAll(async () => {
    await stub.start();
    entry.revokeUrl = `${fake.url}/revoke`;
    fake.on('POST', '/revoke', () => ({ status: revokeStatus, json: {} }));
    t = await startTestApp({ env: { ...stub.env, HTTP_TIMEOUT_MS: '5000' } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await stub.stop();
  });
  beforeEach(async () => {
    stub.reset();
    revokeStatus = 200;
    await t.dataSource.query('DELETE FROM token_revocations');
  });

  const settings = () => t.app.get(ProviderCatalog).get('stub').settings;
  const cipher = () => t.app.get(TokenCipher);
  const worker = () => t.app.get(RevocationWorker);
  const queue = async (connectionId: string): Promise<QueueRow[]> =>
    t.dataSource.query('SELECT * FROM token_revocations WHERE connection_id = $1 ORDER BY created_at, id', [
      connectionId,
    ]);
  /** A queued row's tokens, in plaintext. */
  const queued = (row: QueueRow) => ({
    reason: row.reason,
    status: row.status,
    accessToken: row.access_token && cipher().decrypt(row.access_token, revocationContext(row.id, 'access_token')),
    refreshToken: row.refresh_token && cipher().decrypt(row.refresh_token, revocationContext(row.id, 'refresh_token')),
  });
  const stored = async (id: string) => {
    const [row] = await t.dataSource.query('SELECT access_token, refresh_token FROM connections WHERE id = $1', [id]);
    return {
      accessToken: cipher().decrypt(row.access_token, tokenContext(id, 'access_token')),
      refreshToken: cipher().decrypt(row.refresh_token, tokenContext(id, 'refresh_token')),
    };
  };
  /** The tokens the revoke endpoint was sent, in order. */
  const revoked = () => fake.requestsTo('/revoke').map((r) => r.body.token);

  const importTokens = (ownerId: string, n: string) =>
    t.api
      .post('/connections')
      .send({ provider: 'stub', ownerId, accessToken: `at-${n}`, refreshToken: `rt-${n}`, expiresIn: 3600 });

  /** Queues one held token answer; the refresh that takes it waits until `release`. */
  function holdRefresh(answer = StubProvider.tokens('late')) {
    const held = gate();
    stub.tokenAnswers.push(async () => {
      await held.promise;
      return answer;
    });
    return held;
  }

  describe('DELETE while a refresh is at the provider', () => {
    it.each([
      [
        'with a rotated refresh token',
        StubProvider.tokens('late'),
        { accessToken: 'at-late', refreshToken: 'rt-late' },
      ],
      [
        'without a refresh token in the answer',
        { json: { access_token: 'at-late', token_type: 'Bearer', expires_in: 3600 } },
        { accessToken: 'at-late', refreshToken: null },
      ],
    ])('%s: the tokens it obtained are queued and the worker revokes them', async (_, answer, late) => {
      const { body: created } = await importTokens(`del-${late.refreshToken ?? 'none'}`, '0').expect(201);
      const id: string = created.id;
      const held = holdRefresh(answer);
      const refreshing = t.api.post(`/connections/${id}/refresh`).then((res) => res);
      await fake.waitForRequests('/token', 1);

      // The DELETE revokes what is stored (the old grant) and deletes the row, with the refresh in flight.
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body).toEqual({
        id,
        providerRevocation: 'revoked',
        subscriptions: { removed: 0, queued: 0 },
      });
      expect(revoked()).toEqual(['rt-0']);
      expect(await queue(id)).toEqual([]);

      held.release();
      const res = await refreshing;
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('connection_not_found');
      await t.api.get(`/connections/${id}`).expect(404);

      // Stored nowhere, but live at the provider: queued with the delete's reason.
      const rows = await queue(id);
      expect(rows.map(queued)).toEqual([{ reason: 'delete', status: 'pending', ...late }]);
      expect(rows[0].provider).toBe('stub');

      expect(await worker().runOnce()).toEqual({ attempted: 1, revoked: 1, failed: 0, givenUp: 0, deferred: 0 });
      // RFC 7009: the refresh token when there is one (it ends the grant), else the access token.
      expect(revoked()).toEqual(['rt-0', late.refreshToken ?? late.accessToken]);
      expect((await queue(id)).map((r) => r.status)).toEqual(['revoked']);
    });

    it('a sweep refresh: the same', async () => {
      const { body: created } = await importTokens('del-sweep', '0').expect(201);
      const id: string = created.id;
      // Due: inside the lead window.
      await t.dataSource.query(`UPDATE connections SET expires_at = now() + interval '1 minute' WHERE id = $1`, [id]);
      const held = holdRefresh();
      const sweeping = t.app.get(RefreshSweep).runOnce();
      await fake.waitForRequests('/token', 1);
      await t.api.delete(`/connections/${id}`).expect(200);
      held.release();
      await sweeping;
      expect((await queue(id)).map(queued)).toEqual([
        { reason: 'delete', status: 'pending', accessToken: 'at-late', refreshToken: 'rt-late' },
      ]);
      expect((await worker().runOnce()).revoked).toBe(1);
      expect(revoked()).toEqual(['rt-0', 'rt-late']);
    });
  });

  describe('a reconnect that wins the race with a refresh', () => {
    afterEach(() => {
      settings().revokeSupersededTokens = false;
    });

    it('where the provider revokes superseded tokens: the refresh’s tokens are queued, the reconnect’s stay stored', async () => {
      // No built-in provider both refreshes and revokes superseded tokens, and a PROVIDERS_FILE provider
      // never does: set the rule here as a provider module would declare it.
      settings().revokeSupersededTokens = true;
      const { body: created } = await importTokens('rc-revokes', '0').expect(201);
      const id: string = created.id;
      const held = holdRefresh();
      const refreshing = t.api.post(`/connections/${id}/refresh`).then((res) => res);
      await fake.waitForRequests('/token', 1);

      // The user reconnects the same account meanwhile: new tokens, token_version bumped; the old ones
      // are queued by the reconnect.
      expect((await importTokens('rc-revokes', 'new').expect(200)).body.id).toBe(id);
      held.release();
      const res = await refreshing;
      // The late answer loses the compare-and-set: the caller gets the reconnect's connection.
      expect(res.status).toBe(200);
      expect(await stored(id)).toEqual({ accessToken: 'at-new', refreshToken: 'rt-new' });
      expect((await t.api.get(`/connections/${id}/credentials`).expect(200)).body.accessToken).toBe('at-new');
      // The refresh's lease is handed back with the decision (a reconnect leaves the lease as it was).
      expect((await t.dataSource.query('SELECT lease_owner FROM connections WHERE id = $1', [id]))[0]).toEqual({
        lease_owner: null,
      });

      expect((await queue(id)).map(queued)).toEqual([
        { reason: 'reconnect', status: 'pending', accessToken: 'at-0', refreshToken: 'rt-0' },
        { reason: 'reconnect', status: 'pending', accessToken: 'at-late', refreshToken: 'rt-late' },
      ]);
      expect(await worker().runOnce()).toEqual({ attempted: 2, revoked: 2, failed: 0, givenUp: 0, deferred: 0 });
      expect(revoked().sort()).toEqual(['rt-0', 'rt-late']);
      // The reconnect's tokens were never sent to be revoked and are still the ones served.
      expect(await stored(id)).toEqual({ accessToken: 'at-new', refreshToken: 'rt-new' });
      expect((await t.api.get(`/connections/${id}`).expect(200)).body.status).toBe('active');
    });

    it('a late answer that hands back a token the reconnect now holds is not queued (revoking it would end the new one)', async () => {
      settings().revokeSupersededTokens = true;
      const { body: created } = await importTokens('rc-shared', '0').expect(201);
      const id: string = created.id;
      const held = holdRefresh({
        json: { access_token: 'at-late', refresh_token: 'rt-new', token_type: 'Bearer', expires_in: 3600 },
      });
      const refreshing = t.api.post(`/connections/${id}/refresh`).then((res) => res);
      await fake.waitForRequests('/token', 1);
      await importTokens('rc-shared', 'new').expect(200);
      held.release();
      expect((await refreshing).status).toBe(200);
      expect((await queue(id)).map((r) => queued(r).accessToken)).toEqual(['at-0']);
      expect(await stored(id)).toEqual({ accessToken: 'at-new', refreshToken: 'rt-new' });
    });

    it('where the provider does not revoke superseded tokens (the default): nothing is queued, as for a reconnect', async () => {
      expect(settings().revokeSupersededTokens).toBe(false);
      const { body: created } = await importTokens('rc-keeps', '0').expect(201);
      const id: string = created.id;
      const held = holdRefresh();
      const refreshing = t.api.post(`/connections/${id}/refresh`).then((res) => res);
      await fake.waitForRequests('/token', 1);
      await importTokens('rc-keeps', 'new').expect(200);
      held.release();
      expect((await refreshing).status).toBe(200);
      expect(await stored(id)).toEqual({ accessToken: 'at-new', refreshToken: 'rt-new' });
      expect(await queue(id)).toEqual([]);
      expect((await worker().runOnce()).attempted).toBe(0);
      expect(revoked()).toEqual([]);
    });
  });

  /**
   * A refresh whose lease ran out mid-call (its replica stalled) and was taken over: the provider has
   * rotated the refresh token for it, so its tokens are never dropped. Stored when the version still
   * allows it; else queued like any late tokens, except where they are of the grant the row holds.
   */
  describe('a refresh that lost its lease mid-call', () => {
    afterEach(() => {
      settings().revokeSupersededTokens = false;
    });
    /** Another replica takes the lease over (this one stalled past it) and has not written yet. */
    const takeOver = (id: string) =>
      t.dataSource.query(
        `UPDATE connections SET lease_owner = 'another-replica', lease_until = now() + interval '1 minute' WHERE id = $1`,
        [id],
      );

    it('nothing stored since: its tokens are stored (the version still allows them), nothing is queued, the other holder keeps its lease', async () => {
      settings().revokeSupersededTokens = true;
      const { body: created } = await importTokens('lease-lost', '0').expect(201);
      const id: string = created.id;
      const held = holdRefresh();
      const refreshing = t.api.post(`/connections/${id}/refresh`).then((res) => res);
      await fake.waitForRequests('/token', 1);
      await takeOver(id);
      held.release();
      expect((await refreshing).status).toBe(200);
      expect(await stored(id)).toEqual({ accessToken: 'at-late', refreshToken: 'rt-late' });
      expect(await queue(id)).toEqual([]);
      // That holder's call is still out: its lease stays until it finds the version moved on.
      expect((await t.dataSource.query('SELECT lease_owner FROM connections WHERE id = $1', [id]))[0]).toEqual({
        lease_owner: 'another-replica',
      });
    });

    it('another replica’s refresh stored meanwhile (version and last_refreshed_at moved): not queued (same grant: revoking them may end the stored tokens)', async () => {
      settings().revokeSupersededTokens = true;
      const { body: created } = await importTokens('lease-lost-stored', '0').expect(201);
      const id: string = created.id;
      const held = holdRefresh();
      const refreshing = t.api.post(`/connections/${id}/refresh`).then((res) => res);
      await fake.waitForRequests('/token', 1);
      await t.dataSource.query(
        `UPDATE connections SET lease_owner = NULL, lease_until = NULL, token_version = token_version + 1,
                access_token = $2, refresh_token = $3, last_refreshed_at = now() WHERE id = $1`,
        [
          id,
          cipher().encrypt('at-other', tokenContext(id, 'access_token')),
          cipher().encrypt('rt-other', tokenContext(id, 'refresh_token')),
        ],
      );
      held.release();
      await refreshing;
      expect(await stored(id)).toEqual({ accessToken: 'at-other', refreshToken: 'rt-other' });
      expect(await queue(id)).toEqual([]);
    });

    it('a reconnect replaced the tokens meanwhile: its tokens are queued under the reconnect’s rule', async () => {
      settings().revokeSupersededTokens = true;
      const { body: created } = await importTokens('lease-lost-rc', '0').expect(201);
      const id: string = created.id;
      const held = holdRefresh();
      const refreshing = t.api.post(`/connections/${id}/refresh`).then((res) => res);
      await fake.waitForRequests('/token', 1);
      await takeOver(id);
      await importTokens('lease-lost-rc', 'new').expect(200);
      held.release();
      expect((await refreshing).status).toBe(200);
      expect(await stored(id)).toEqual({ accessToken: 'at-new', refreshToken: 'rt-new' });
      expect((await queue(id)).map(queued)).toEqual([
        { reason: 'reconnect', status: 'pending', accessToken: 'at-0', refreshToken: 'rt-0' },
        { reason: 'reconnect', status: 'pending', accessToken: 'at-late', refreshToken: 'rt-late' },
      ]);
    });

    it('the connection was deleted meanwhile: its tokens are queued (delete) and revoked', async () => {
      const { body: created } = await importTokens('lease-lost-del', '0').expect(201);
      const id: string = created.id;
      const held = holdRefresh();
      const refreshing = t.api.post(`/connections/${id}/refresh`).then((res) => res);
      await fake.waitForRequests('/token', 1);
      await takeOver(id);
      await t.api.delete(`/connections/${id}`).expect(200);
      held.release();
      expect((await refreshing).status).toBe(404);
      expect((await queue(id)).map(queued)).toEqual([
        { reason: 'delete', status: 'pending', accessToken: 'at-late', refreshToken: 'rt-late' },
      ]);
      expect((await worker().runOnce()).revoked).toBe(1);
      expect(revoked()).toEqual(['rt-0', 'rt-late']);
    });
  });

  it('a refresh that stores its tokens queues nothing', async () => {
    settings().revokeSupersededTokens = true;
    try {
      const { body: created } = await importTokens('plain', '0').expect(201);
      const id: string = created.id;
      stub.tokenAnswers.push(() => StubProvider.tokens('1'));
      await t.api.post(`/connections/${id}/refresh`).expect(200);
      expect(await stored(id)).toEqual({ accessToken: 'at-1', refreshToken: 'rt-1' });
      expect(await queue(id)).toEqual([]);
    } finally {
      settings().revokeSupersededTokens = false;
    }
  });
});
