import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { ConnectionLifecycleRepository } from '../../src/connections/persistence/connection-lifecycle.repository';
import { CredentialsService } from '../../src/token-lifecycle/credentials.service';
import { FakeProvider } from '../support/fake-provider';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { RawAnswer, rawRequest } from '../support/raw-http';

/** PROXY_TOKEN_CACHE_MS of this suite. */
const TTL = 1000;

/** One request the API stand-in received: when, with which token, to where. */
interface Seen {
  at: number;
  url: string;
  bearer: string;
}

/**
 * The proxy's per-replica token memory (PROXY_TOKEN_CACHE_MS) against the real app and Postgres: calls
 * in a burst read the connection once; a token refreshed, revoked or deleted elsewhere is never sent
 * once PROXY_TOKEN_CACHE_MS has passed since the change; a token the provider refuses is not used from
 * memory again (the replay reads the row, as it did without the memory).
 */
describe('proxy: the token kept in memory for PROXY_TOKEN_CACHE_MS', () => {
  const tokens = new FakeProvider();
  let api: http.Server;
  let apiUrl = '';
  const seen: Seen[] = [];
  /** The tokens the API stand-in accepts (any other: 401). */
  let accepted = new Set<string>();
  let refreshCount = 0;
  let t: TestApp;
  const auth = { Authorization: `Bearer ${TEST_API_KEY}` };

  const appEnv = (cacheMs: number): Record<string, string> => ({
    SANDBOX: 'false',
    KEAP_CLIENT_ID: 'cid',
    KEAP_CLIENT_SECRET: 'csecret',
    KEAP_AUTHORIZE_URL: `${tokens.url}/authorize`,
    KEAP_TOKEN_URL: `${tokens.url}/token`,
    KEAP_API_BASE_URL: `${apiUrl}/crm/rest/v1`,
    WEBHOOK_DISPATCH_INTERVAL_MS: '0',
    PROXY_TOKEN_CACHE_MS: String(cacheMs),
  });

  beforeAll(async () => {
    await tokens.start();
    tokens.on('POST', '/token', () => {
      refreshCount++;
      const at = `AT-refreshed-${refreshCount}`;
      accepted.add(at);
      return {
        json: { access_token: at, refresh_token: `RT-${refreshCount}`, token_type: 'bearer', expires_in: 86_400 },
      };
    });
    api = http.createServer((req, res) => {
      const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      seen.push({ at: Date.now(), url: req.url ?? '', bearer });
      const ok = accepted.has(bearer);
      res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok, bearer }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    t = await startTestApp({ env: appEnv(TTL) });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    api?.closeAllConnections();
    await new Promise<void>((resolve) => (api ? api.close(() => resolve()) : resolve()));
    await tokens.stop();
  });

  beforeEach(() => {
    seen.length = 0;
    tokens.requests.length = 0;
    accepted = new Set(['AT-initial']);
  });

  async function connection(ownerId: string, refreshable = true): Promise<string> {
    const res = await t.api
      .post('/connections')
      .send({
        provider: 'keap',
        ownerId,
        accountId: ownerId,
        accessToken: 'AT-initial',
        ...(refreshable && { refreshToken: 'RT-initial' }),
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      })
      .expect(201);
    return res.body.id as string;
  }

  const get = (app: TestApp, id: string) => rawRequest(app.baseUrl, 'GET', `/proxy/${id}/contacts`, auth);

  /**
   * Calls one after another from `changedAt` until PROXY_TOKEN_CACHE_MS and another `extraMs` have
   * passed; each with the time it was sent.
   */
  async function callThroughTheBound(id: string, changedAt: number, extraMs = 400) {
    const calls: { sentAt: number; answer: RawAnswer }[] = [];
    while (Date.now() < changedAt + TTL + extraMs) {
      const sentAt = Date.now();
      calls.push({ sentAt, answer: await get(t, id) });
    }
    return calls;
  }

  it('calls within PROXY_TOKEN_CACHE_MS read the connection once; after it, again', async () => {
    const id = await connection('cache-burst');
    const reads = jest.spyOn(t.app.get(CredentialsService), 'usableToken');
    try {
      const started = Date.now();
      for (let i = 0; i < 5; i++) expect((await get(t, id)).status).toBe(200);
      // (Five calls on 127.0.0.1 take a few milliseconds; the bound is a second.)
      expect(Date.now() - started).toBeLessThan(TTL);
      expect(reads).toHaveBeenCalledTimes(1);
      await new Promise((r) => setTimeout(r, TTL));
      expect((await get(t, id)).status).toBe(200);
      expect(reads).toHaveBeenCalledTimes(2);
      expect(seen.map((s) => s.bearer)).toEqual(Array(6).fill('AT-initial'));
    } finally {
      reads.mockRestore();
    }
  });

  it('a token refreshed elsewhere (a forced refresh) is never sent once PROXY_TOKEN_CACHE_MS has passed since', async () => {
    const id = await connection('cache-refreshed');
    expect((await get(t, id)).status).toBe(200);
    // The old token stays valid at the provider here, so a stale call shows as such instead of healing by a 401.
    await t.api.post(`/connections/${id}/refresh`).expect(200);
    const changedAt = Date.now();
    const renewed = `AT-refreshed-${refreshCount}`;
    seen.length = 0;
    const calls = await callThroughTheBound(id, changedAt);
    expect(calls.every((c) => c.answer.status === 200)).toBe(true);
    const after = calls.filter((c) => c.sentAt >= changedAt + TTL);
    expect(after.length).toBeGreaterThan(0);
    expect(new Set(after.map((c) => c.answer.body.bearer))).toEqual(new Set([renewed]));
    // The provider saw the old token only before the bound.
    expect(seen.filter((s) => s.bearer === 'AT-initial' && s.at >= changedAt + TTL)).toEqual([]);
  });

  it('a revoked connection (an uninstall) is refused once PROXY_TOKEN_CACHE_MS has passed, without a provider call', async () => {
    const id = await connection('cache-revoked');
    expect((await get(t, id)).status).toBe(200);
    await t.app.get(ConnectionLifecycleRepository).markRevokedByProvider(id, new Date(), 'app/uninstalled');
    const revokedAt = Date.now();
    seen.length = 0;
    const calls = await callThroughTheBound(id, revokedAt);
    const after = calls.filter((c) => c.sentAt >= revokedAt + TTL);
    expect(after.length).toBeGreaterThan(0);
    for (const { answer } of after) expect([answer.status, answer.body.code]).toEqual([409, 'connection_revoked']);
    // Every call the provider saw is one that was answered 200: none after the bound.
    expect(seen).toHaveLength(calls.filter((c) => c.answer.status === 200).length);
    expect(seen.filter((s) => s.at >= revokedAt + TTL)).toEqual([]);
  });

  it('a deleted connection is 404 once PROXY_TOKEN_CACHE_MS has passed, without a provider call', async () => {
    const id = await connection('cache-deleted');
    expect((await get(t, id)).status).toBe(200);
    await t.api.delete(`/connections/${id}`).expect((res) => expect(res.status).toBeLessThan(300));
    const deletedAt = Date.now();
    seen.length = 0;
    const calls = await callThroughTheBound(id, deletedAt);
    const after = calls.filter((c) => c.sentAt >= deletedAt + TTL);
    expect(after.length).toBeGreaterThan(0);
    for (const { answer } of after) expect([answer.status, answer.body.code]).toEqual([404, 'connection_not_found']);
    expect(seen.filter((s) => s.url.endsWith('/contacts') && s.at >= deletedAt + TTL)).toEqual([]);
  });

  it('a kept token the provider refuses is replayed with the stored one (read again, no refresh of its own), which is kept from then on', async () => {
    const id = await connection('cache-refused');
    expect((await get(t, id)).status).toBe(200);
    await t.api.post(`/connections/${id}/refresh`).expect(200);
    const renewed = `AT-refreshed-${refreshCount}`;
    // From now on the provider takes the new token only (it rotated them).
    accepted = new Set([renewed]);
    seen.length = 0;
    const res = await get(t, id);
    expect([res.status, res.body.bearer]).toEqual([200, renewed]);
    // The forced refresh above and no other.
    expect(tokens.requestsTo('/token')).toHaveLength(1);
    // The kept token first (if it was still within the bound), then the stored one.
    expect(seen.at(-1)!.bearer).toBe(renewed);
    expect(seen.slice(0, -1).map((s) => s.bearer)).toEqual(seen.length === 2 ? ['AT-initial'] : []);
    seen.length = 0;
    expect((await get(t, id)).status).toBe(200);
    expect(seen.map((s) => s.bearer)).toEqual([renewed]);
  });

  it('a 401 that goes back to the caller drops the kept token: a connection a whoami check found dead is refused at once', async () => {
    const id = await connection('cache-dead', false);
    expect((await get(t, id)).status).toBe(200);
    // The provider refuses the token now (the whoami call too): the next call's 401 is checked, and goes back.
    accepted = new Set();
    const refused = await get(t, id);
    expect(refused.status).toBe(401);
    expect(seen.map((s) => s.url)).toEqual([
      '/crm/rest/v1/contacts',
      '/crm/rest/v1/contacts',
      '/crm/rest/v1/oauth/connect/userinfo',
    ]);
    // Within the bound, but the token is not used from memory: the row says needs_reauth.
    seen.length = 0;
    const next = await get(t, id);
    expect([next.status, next.body.code]).toEqual([409, 'connection_needs_reauth']);
    expect(seen).toEqual([]);
  });

  describe('PROXY_TOKEN_CACHE_MS=0', () => {
    let off: TestApp;
    beforeAll(async () => {
      off = await startTestApp({ databaseUrl: t.databaseUrl, env: appEnv(0) });
    }, 60_000);
    afterAll(() => off?.close());

    it('reads the connection on every call', async () => {
      const id = await connection('cache-off');
      const reads = jest.spyOn(off.app.get(CredentialsService), 'usableToken');
      try {
        for (let i = 0; i < 5; i++) expect((await get(off, id)).status).toBe(200);
        expect(reads).toHaveBeenCalledTimes(5);
      } finally {
        reads.mockRestore();
      }
    });
  });
});
