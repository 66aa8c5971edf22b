import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { rawClient } from '../support/database';
import { startTestApp, TestApp } from '../support/app';
import { FakeProvider, FakeResponse, RecordedRequest } from '../support/fake-provider';
import { cookiesOf } from '../support/sandbox-flow';

const PUBLIC_URL = 'http://localhost:3000';
const RETURN_URL = 'https://app.example.test/integrations/done';
const PROVIDERS = ['keap', 'webflow', 'clickfunnels', 'clickfunnels-classic', 'lightfunnels'] as const;
type Name = (typeof PROVIDERS)[number];

function providerEnv(fake: FakeProvider, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    SANDBOX: 'false',
    PUBLIC_URL,
    ALLOWED_RETURN_URLS: 'https://app.example.test/integrations',
    HTTP_TIMEOUT_MS: '1500',
  };
  for (const name of PROVIDERS) {
    const p = name.toUpperCase().replace(/-/g, '_');
    env[`${p}_CLIENT_ID`] = `cid-${name}`;
    env[`${p}_CLIENT_SECRET`] = `csecret-${name}`;
    env[`${p}_AUTHORIZE_URL`] = `${fake.url}/${name}/authorize`;
    env[`${p}_TOKEN_URL`] = `${fake.url}/${name}/token`;
    // Only the providers with a revoke call read it; for the others it is refused at start.
    if (name === 'webflow' || name === 'clickfunnels') env[`${p}_REVOKE_URL`] = `${fake.url}/${name}/revoke`;
    env[`${p}_API_BASE_URL`] = `${fake.url}/${name}/api`;
  }
  env.WEBFLOW_SCOPES = 'sites:read,sites:write';
  return { ...env, ...extra };
}

describe('OAuth flows on the wire (a recording stand-in provider over real HTTP)', () => {
  const fake = new FakeProvider();
  const cookies = new Map<string, string>();
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({ env: providerEnv(fake) });
    db = await rawClient(t.databaseUrl);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });

  /** POST /connect-sessions, then open its URL: returns the provider authorize URL Passport redirected to. */
  async function startFlow(provider: Name, ownerId: string, extra: Record<string, unknown> = {}) {
    const created = await t.api
      .post('/connect-sessions')
      .send({ provider, ownerId, returnUrl: RETURN_URL, ...extra })
      .expect(201);
    const link = new URL(created.body.url);
    expect(link.origin).toBe(PUBLIC_URL);
    const res = await t.anon.get(`${link.pathname}${link.search}`).redirects(0).expect(302);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const location: string = res.headers.location;
    const authorize = new URL(location);
    // The browser keeps the flow's binding cookie; the callback below sends it back.
    cookies.set(authorize.searchParams.get('state')!, cookiesOf(res));
    return { sessionId: created.body.id as string, link, location, authorize };
  }

  /** The provider redirecting the browser back with ?code&state; returns where the service sends it. */
  async function callback(provider: string, query: Record<string, string>) {
    const req = t.anon.get(`/oauth/${provider}/callback`).query(query).redirects(0);
    const cookie = query.state ? cookies.get(query.state) : undefined;
    return cookie ? req.set('Cookie', cookie) : req;
  }

  /**
   * The return URL's query. Every ending names its session (`sessionId`), a connected one its provider
   * too (test/e2e/connect-sessions.e2e.spec.ts checks their values): both are checked here and left
   * out of the answer, so each test states the rest.
   */
  function landed(res: { status: number; headers: Record<string, string> }) {
    expect(res.status).toBe(302);
    const url = new URL(res.headers.location);
    expect(`${url.origin}${url.pathname}`).toBe(RETURN_URL);
    const { sessionId, provider, ...rest } = Object.fromEntries(url.searchParams) as Record<string, string>;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    if (rest.status === 'connected') expect(provider).toMatch(/^[a-z0-9-]+$/);
    else expect(provider).toBeUndefined();
    return rest;
  }

  const tokenRequest = (name: Name): RecordedRequest => {
    const requests = fake.requestsTo(`/${name}/token`);
    expect(requests).toHaveLength(1);
    return requests[0];
  };

  async function connection(id: string) {
    return (await t.api.get(`/connections/${id}`).expect(200)).body;
  }

  async function countConnections(): Promise<number> {
    return Number((await db.query('SELECT count(*) FROM connections')).rows[0].count);
  }

  describe('Keap', () => {
    it('authorize URL: client_id, redirect_uri, response_type=code, scope=full, state; form-urlencoded code exchange', async () => {
      fake.on('POST', '/keap/token', {
        json: {
          access_token: 'keap-at-1',
          refresh_token: 'keap-rt-1',
          token_type: 'bearer',
          expires_in: 86400,
          scope: 'full|ab12.infusionsoft.com',
        },
      });
      const before = Date.now();
      const { authorize } = await startFlow('keap', 'owner-keap');
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${fake.url}/keap/authorize`);
      const q = Object.fromEntries(authorize.searchParams);
      expect(q).toEqual({
        client_id: 'cid-keap',
        redirect_uri: `${PUBLIC_URL}/oauth/keap/callback`,
        response_type: 'code',
        scope: 'full',
        state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });

      const params = landed(await callback('keap', { code: 'keap-code-1', state: q.state }));
      expect(params).toEqual({ connectionId: expect.any(String), status: 'connected' });

      const req = tokenRequest('keap');
      expect(req.method).toBe('POST');
      expect(req.contentType).toBe('application/x-www-form-urlencoded');
      expect(req.headers.authorization).toBeUndefined();
      expect(req.body).toEqual({
        client_id: 'cid-keap',
        client_secret: 'csecret-keap',
        code: 'keap-code-1',
        grant_type: 'authorization_code',
        redirect_uri: `${PUBLIC_URL}/oauth/keap/callback`,
      });

      const c = await connection(params.connectionId);
      expect(c).toMatchObject({
        provider: 'keap',
        ownerId: 'owner-keap',
        accountId: 'ab12',
        scopes: ['full'],
        status: 'active',
        hasRefreshToken: true,
        tokenType: 'Bearer',
      });
      expect(Date.parse(c.expiresAt) - before).toBeGreaterThanOrEqual(86_400_000 - 1000);
      expect(Date.parse(c.refreshTokenExpiresAt) - before).toBeGreaterThanOrEqual(45 * 86_400_000 - 1000);
      const creds = await t.api.get(`/connections/${params.connectionId}/credentials`).expect(200);
      expect(creds.body.accessToken).toBe('keap-at-1');
    });

    it('falls back to userinfo (infusionsoft_id) when the scope names no app', async () => {
      fake.on('POST', '/keap/token', {
        json: { access_token: 'keap-at-2', refresh_token: 'keap-rt-2', expires_in: 86400, scope: 'full' },
      });
      fake.on('GET', '/keap/api/oauth/connect/userinfo', {
        json: { global_user_id: 99, infusionsoft_id: 'zz9.infusionsoft.com' },
      });
      const { authorize } = await startFlow('keap', 'owner-keap-2');
      const params = landed(await callback('keap', { code: 'c', state: authorize.searchParams.get('state')! }));
      expect(fake.requestsTo('/keap/api/oauth/connect/userinfo')[0].headers.authorization).toBe('Bearer keap-at-2');
      expect((await connection(params.connectionId)).accountId).toBe('zz9');
    });

    it('reconnecting the same account updates the same connection and reactivates it', async () => {
      fake.on('POST', '/keap/token', {
        json: {
          access_token: 'keap-at-3',
          refresh_token: 'keap-rt-3',
          expires_in: 86400,
          scope: 'full|same1.infusionsoft.com',
        },
      });
      const first = await startFlow('keap', 'owner-re', { metadata: { plan: 'pro' } });
      const a = landed(await callback('keap', { code: 'c1', state: first.authorize.searchParams.get('state')! }));
      await db.query(`UPDATE connections SET status = 'needs_reauth' WHERE id = $1`, [a.connectionId]);
      fake.on('POST', '/keap/token', {
        json: {
          access_token: 'keap-at-4',
          refresh_token: 'keap-rt-4',
          expires_in: 86400,
          scope: 'full|same1.infusionsoft.com',
        },
      });
      const second = await startFlow('keap', 'owner-re');
      const b = landed(await callback('keap', { code: 'c2', state: second.authorize.searchParams.get('state')! }));
      expect(b.connectionId).toBe(a.connectionId);
      expect(await connection(a.connectionId)).toMatchObject({ status: 'active', metadata: { plan: 'pro' } });
      expect((await t.api.get(`/connections/${a.connectionId}/credentials`)).body.accessToken).toBe('keap-at-4');
    });
  });

  describe('ClickFunnels 2.0', () => {
    it('authorize URL with grant_type, new_installation, PKCE S256 and no scope; JSON exchange; team and workspace stored', async () => {
      const createdAt = Math.floor(Date.now() / 1000) - 60;
      fake.on('POST', '/clickfunnels/token', {
        json: {
          access_token: 'cf2-at',
          token_type: 'Bearer',
          expires_in: 7200,
          scope: 'admin read',
          created_at: createdAt,
          team_id: 1234,
          team_name: "Rich Steinmetz's Team",
          workspace_id: 4567,
          workspace_name: 'Clickfunneller',
          workspace_url: 'https://clickfunneller.myclickfunnels.com',
        },
      });
      const { authorize } = await startFlow('clickfunnels', 'owner-cf2');
      const q = Object.fromEntries(authorize.searchParams);
      expect(q).toEqual({
        client_id: 'cid-clickfunnels',
        grant_type: 'authorization_code',
        new_installation: 'true',
        redirect_uri: `${PUBLIC_URL}/oauth/clickfunnels/callback`,
        response_type: 'code',
        state: expect.any(String),
        code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        code_challenge_method: 'S256',
      });
      const params = landed(await callback('clickfunnels', { code: 'cf2-code', state: q.state }));
      const req = tokenRequest('clickfunnels');
      expect(req.contentType).toMatch(/^application\/json/);
      expect(req.body).toEqual({
        client_id: 'cid-clickfunnels',
        client_secret: 'csecret-clickfunnels',
        code: 'cf2-code',
        grant_type: 'authorization_code',
        redirect_uri: `${PUBLIC_URL}/oauth/clickfunnels/callback`,
        code_verifier: expect.any(String),
      });
      const challenge = createHash('sha256')
        .update(req.body.code_verifier as string)
        .digest('base64url');
      expect(challenge).toBe(q.code_challenge);
      const c = await connection(params.connectionId);
      expect(c).toMatchObject({
        accountId: '4567',
        teamId: '1234',
        teamName: "Rich Steinmetz's Team",
        workspaceId: '4567',
        workspaceName: 'Clickfunneller',
        apiBaseUrl: 'https://clickfunneller.myclickfunnels.com',
        scopes: ['admin', 'read'],
        hasRefreshToken: false,
      });
      expect(Date.parse(c.expiresAt)).toBe((createdAt + 7200) * 1000);
      // The verifier is stored encrypted, never in plain text.
      const { rows } = await db.query(`SELECT code_verifier FROM oauth_states WHERE code_verifier IS NOT NULL`);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.code_verifier).toMatch(/^v1\./);
      expect(JSON.stringify(rows)).not.toContain(req.body.code_verifier as string);
    });

    it('stores over-long or NUL-bearing identity fields cleaned instead of failing the connect', async () => {
      fake.on('POST', '/clickfunnels/token', {
        json: {
          access_token: 'cf2-long',
          token_type: 'x'.repeat(100),
          team_id: 1,
          team_name: `T\u0000${'n'.repeat(400)}`,
          workspace_id: 77,
          workspace_name: 'W',
        },
      });
      const { authorize } = await startFlow('clickfunnels', 'owner-cf2-long');
      const params = landed(await callback('clickfunnels', { code: 'x', state: authorize.searchParams.get('state')! }));
      const c = await connection(params.connectionId);
      expect(c.teamName).toBe(`T${'n'.repeat(254)}`);
      expect(c.tokenType).toBe('Bearer');
    });

    it('two workspaces of one team are two connections', async () => {
      for (const workspace of [1, 2]) {
        fake.on('POST', '/clickfunnels/token', {
          json: { access_token: `cf2-ws-${workspace}`, expires_in: 7200, team_id: 9, workspace_id: 900 + workspace },
        });
        const { authorize } = await startFlow('clickfunnels', 'owner-cf2-multi');
        landed(await callback('clickfunnels', { code: 'x', state: authorize.searchParams.get('state')! }));
      }
      const list = await t.api.get('/connections').query({ ownerId: 'owner-cf2-multi' }).expect(200);
      expect(list.body.data.map((c: { accountId: string }) => c.accountId).sort()).toEqual(['901', '902']);
    });
  });

  describe('Webflow', () => {
    it('scopes joined by %20, redirect_uri repeated at the token step, identity from authorized_by', async () => {
      fake.on('POST', '/webflow/token', { json: { access_token: 'wf-at', token_type: 'bearer' } });
      fake.on('GET', '/webflow/api/token/authorized_by', { json: { id: 'user-777', email: 'a@b.test' } });
      const { location, authorize } = await startFlow('webflow', 'owner-wf');
      expect(location).toContain('scope=sites%3Aread%20sites%3Awrite');
      expect(authorize.searchParams.get('response_type')).toBe('code');
      const params = landed(
        await callback('webflow', { code: 'wf-code', state: authorize.searchParams.get('state')! }),
      );
      const req = tokenRequest('webflow');
      expect(req.body).toEqual({
        client_id: 'cid-webflow',
        client_secret: 'csecret-webflow',
        code: 'wf-code',
        grant_type: 'authorization_code',
        redirect_uri: `${PUBLIC_URL}/oauth/webflow/callback`,
      });
      expect(fake.requestsTo('/webflow/api/token/authorized_by')[0].headers.authorization).toBe('Bearer wf-at');
      expect(await connection(params.connectionId)).toMatchObject({
        accountId: 'user-777',
        expiresAt: null,
        hasRefreshToken: false,
        scopes: ['sites:read', 'sites:write'],
      });
    });

    it('refuses a callback with a code and no state (marketplace install) with a clear page', async () => {
      const res = await t.anon.get('/oauth/webflow/callback').query({ code: 'market' }).redirects(0).expect(400);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toContain('data-error="invalid_state"');
      expect(res.text).not.toContain('market');
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('Lightfunnels', () => {
    it('comma-separated scopes; JSON {client_id, client_secret, code}; identity from the GraphQL account', async () => {
      fake.on('POST', '/lightfunnels/token', { json: { access_token: 'lf-at' } });
      fake.on('POST', '/lightfunnels/api', { json: { data: { account: { id: 'acc_55' } } } });
      const { authorize } = await startFlow('lightfunnels', 'owner-lf');
      expect(authorize.searchParams.get('scope')).toBe('orders,products');
      const params = landed(
        await callback('lightfunnels', { code: 'lf-code', state: authorize.searchParams.get('state')! }),
      );
      const req = tokenRequest('lightfunnels');
      expect(req.contentType).toMatch(/^application\/json/);
      expect(req.body).toEqual({
        client_id: 'cid-lightfunnels',
        client_secret: 'csecret-lightfunnels',
        code: 'lf-code',
      });
      const gql = fake.requestsTo('/lightfunnels/api')[0];
      expect(gql.headers.authorization).toBe('Bearer lf-at');
      expect(String(gql.body.query)).toMatch(/account\s*\{\s*id\s*\}/);
      expect(await connection(params.connectionId)).toMatchObject({
        accountId: 'acc_55',
        expiresAt: null,
        hasRefreshToken: false,
      });
    });
  });

  describe('ClickFunnels Classic', () => {
    it('JSON code exchange with client credentials; one connection per owner', async () => {
      fake.on('POST', '/clickfunnels-classic/token', {
        json: { access_token: 'cfc-at', refresh_token: 'cfc-rt', expires_in: 7200 },
      });
      const { authorize } = await startFlow('clickfunnels-classic', 'owner-cfc');
      expect(authorize.searchParams.get('response_type')).toBe('code');
      const params = landed(
        await callback('clickfunnels-classic', { code: 'cfc-code', state: authorize.searchParams.get('state')! }),
      );
      expect(tokenRequest('clickfunnels-classic').body).toEqual({
        client_id: 'cid-clickfunnels-classic',
        client_secret: 'csecret-clickfunnels-classic',
        code: 'cfc-code',
        grant_type: 'authorization_code',
        redirect_uri: `${PUBLIC_URL}/oauth/clickfunnels-classic/callback`,
      });
      expect(await connection(params.connectionId)).toMatchObject({ accountId: 'default', hasRefreshToken: true });
    });
  });

  describe('state, sessions and mix-up defence', () => {
    beforeEach(() => {
      fake.on('POST', '/keap/token', {
        json: { access_token: 'at', refresh_token: 'rt', expires_in: 86400, scope: 'full|st1.infusionsoft.com' },
      });
    });

    it('a provider error (?error=access_denied) ends on the return URL, stores nothing and consumes the state', async () => {
      const before = await countConnections();
      const { authorize } = await startFlow('keap', 'owner-deny');
      const state = authorize.searchParams.get('state')!;
      expect(
        landed(await callback('keap', { error: 'access_denied', error_description: 'User said no', state })),
      ).toEqual({ status: 'error', error: 'access_denied' });
      expect(await countConnections()).toBe(before);
      expect(landed(await callback('keap', { code: 'late', state }))).toEqual({
        status: 'error',
        error: 'invalid_state',
      });
      expect(fake.requestsTo('/keap/token')).toHaveLength(0);
    });

    it('a state can be used once', async () => {
      const { authorize } = await startFlow('keap', 'owner-once');
      const state = authorize.searchParams.get('state')!;
      expect(landed(await callback('keap', { code: 'c', state })).status).toBe('connected');
      expect(landed(await callback('keap', { code: 'c', state }))).toEqual({ status: 'error', error: 'invalid_state' });
      expect(fake.requestsTo('/keap/token')).toHaveLength(1);
    });

    it('the callback must come from the browser that started the flow (binding cookie)', async () => {
      const { authorize } = await startFlow('keap', 'owner-binding');
      const state = authorize.searchParams.get('state')!;
      const cookie = cookies.get(state)!;
      expect(cookie).toMatch(/^oauth_flow_[0-9a-f]{16}=[A-Za-z0-9_-]{43}$/);
      // Another browser (no cookie, or someone else's) cannot finish it, and the state is spent.
      const stranger = await t.anon
        .get('/oauth/keap/callback')
        .query({ code: 'c', state })
        .set('Cookie', cookie.replace(/=.*/, '=forged'))
        .redirects(0);
      expect(landed(stranger)).toEqual({ status: 'error', error: 'invalid_state' });
      expect(landed(await callback('keap', { code: 'c', state }))).toEqual({ status: 'error', error: 'invalid_state' });
      expect(fake.requestsTo('/keap/token')).toHaveLength(0);
    });

    it('the binding cookie is HttpOnly, SameSite=Lax and scoped to the callback path', async () => {
      const created = await t.api
        .post('/connect-sessions')
        .send({ provider: 'keap', ownerId: 'owner-cookie', returnUrl: RETURN_URL })
        .expect(201);
      const link = new URL(created.body.url);
      const res = await t.anon.get(`${link.pathname}${link.search}`).redirects(0).expect(302);
      const setCookie = String(res.headers['set-cookie']);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Lax/i);
      expect(setCookie).toMatch(/Path=\/oauth\/keap\/callback/);
      expect(setCookie).toMatch(/Max-Age=600/);
    });

    it('an unknown state gets an HTML error page, not JSON', async () => {
      const res = await callback('keap', { code: 'c', state: 'made-up-state' });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.text).toContain('invalid_state');
      expect(res.text).not.toContain('made-up-state');
    });

    it('a state issued for one provider is refused at another provider’s callback (mix-up)', async () => {
      const { authorize } = await startFlow('keap', 'owner-mixup');
      expect(landed(await callback('webflow', { code: 'c', state: authorize.searchParams.get('state')! }))).toEqual({
        status: 'error',
        error: 'provider_mismatch',
      });
      expect(fake.requests.filter((r) => r.path.endsWith('/token'))).toHaveLength(0);
      // …and it is spent.
      expect(landed(await callback('keap', { code: 'c', state: authorize.searchParams.get('state')! }))).toEqual({
        status: 'error',
        error: 'invalid_state',
      });
    });

    it('a connect link works once', async () => {
      const { link } = await startFlow('keap', 'owner-link');
      const again = await t.anon.get(`${link.pathname}${link.search}`).redirects(0).expect(302);
      expect(landed(again)).toEqual({ status: 'error', error: 'invalid_state' });
    });

    it('an expired connect link ends with session_expired', async () => {
      const created = await t.api
        .post('/connect-sessions')
        .send({ provider: 'keap', ownerId: 'owner-exp', returnUrl: RETURN_URL })
        .expect(201);
      await db.query(`UPDATE connect_sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        created.body.id,
      ]);
      const link = new URL(created.body.url);
      expect(landed(await t.anon.get(`${link.pathname}${link.search}`).redirects(0))).toEqual({
        status: 'error',
        error: 'session_expired',
      });
    });

    it('an expired state ends with session_expired and no token call', async () => {
      const { authorize } = await startFlow('keap', 'owner-exp-state');
      await db.query(`UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE consumed_at IS NULL`);
      expect(landed(await callback('keap', { code: 'c', state: authorize.searchParams.get('state')! }))).toEqual({
        status: 'error',
        error: 'session_expired',
      });
      expect(fake.requestsTo('/keap/token')).toHaveLength(0);
    });

    it('a link opened at another provider’s authorize route is refused', async () => {
      const created = await t.api
        .post('/connect-sessions')
        .send({ provider: 'keap', ownerId: 'owner-x', returnUrl: RETURN_URL })
        .expect(201);
      const link = new URL(created.body.url);
      expect(landed(await t.anon.get(`/oauth/webflow/authorize${link.search}`).redirects(0))).toEqual({
        status: 'error',
        error: 'provider_mismatch',
      });
    });

    it('without a return URL the flow ends on an HTML page', async () => {
      const created = await t.api
        .post('/connect-sessions')
        .send({ provider: 'keap', ownerId: 'owner-page' })
        .expect(201);
      const link = new URL(created.body.url);
      const res = await t.anon.get(`${link.pathname}${link.search}`).redirects(0).expect(302);
      const state = new URL(res.headers.location).searchParams.get('state')!;
      cookies.set(state, cookiesOf(res));
      const done = await callback('keap', { code: 'c', state });
      expect(done.status).toBe(200);
      expect(done.text).toContain('data-status="connected"');
      expect(done.headers['content-security-policy']).toContain("default-src 'none'");
    });
  });

  describe('bad answers at the code exchange', () => {
    const cases: [string, FakeResponse][] = [
      ['non-JSON', { text: '<html>oops</html>' }],
      ['no access_token', { json: { token_type: 'bearer' } }],
      ['200 with an error field', { json: { error: 'invalid_grant', error_description: 'code reused' } }],
      ['a redirect', { status: 302, headers: { Location: 'http://127.0.0.1:1/elsewhere' } }],
      [
        '429 with Retry-After',
        { status: 429, headers: { 'Retry-After': '30' }, json: { code: '429', message: 'Quota Exceeded' } },
      ],
      ['500', { status: 500, json: { error: 'server_error' } }],
      ['400 invalid_grant', { status: 400, json: { error: 'invalid_grant' } }],
      ['a timeout', { delayMs: 4000, json: { access_token: 'too-late' } }],
      ['a 2 MB answer', { text: 'x'.repeat(2 * 1024 * 1024) }],
    ];
    it.each(cases)('%s ends with token_exchange_failed, stores nothing and leaks nothing', async (_name, answer) => {
      fake.on('POST', '/keap/token', answer);
      const before = await countConnections();
      const logStart = t.logs.lines.length;
      const { authorize } = await startFlow('keap', `owner-bad-${_name}`);
      const res = await callback('keap', { code: 'secret-code-123', state: authorize.searchParams.get('state')! });
      expect(landed(res)).toEqual({ status: 'error', error: 'token_exchange_failed' });
      expect(res.headers.location).not.toContain('secret-code-123');
      expect(await countConnections()).toBe(before);
      const newLogs = t.logs.lines.slice(logStart).join('');
      expect(newLogs).toContain('code exchange failed');
      expect(newLogs).not.toContain('secret-code-123');
      expect(newLogs).not.toContain('csecret-keap');
    });

    it('an identity lookup that fails ends with identity_failed and stores nothing', async () => {
      fake.on('POST', '/webflow/token', { json: { access_token: 'wf-at-2' } });
      fake.on('GET', '/webflow/api/token/authorized_by', { status: 500, json: {} });
      const before = await countConnections();
      const { authorize } = await startFlow('webflow', 'owner-id-fail');
      expect(landed(await callback('webflow', { code: 'c', state: authorize.searchParams.get('state')! }))).toEqual({
        status: 'error',
        error: 'identity_failed',
      });
      expect(await countConnections()).toBe(before);
    });
  });

  describe('expires_in', () => {
    it.each([
      ['a numeric string', '3600', 3600],
      ['zero', 0, 86400],
      ['negative', -5, 86400],
      ['absent', undefined, 86400],
      ['non-numeric', 'soon', 86400],
      ['absurdly large', 1e20, 86400],
    ])('%s never fails the connect (Keap falls back to its documented 24 h)', async (_name, expiresIn, expected) => {
      fake.on('POST', '/keap/token', {
        json: {
          access_token: 'e-at',
          refresh_token: 'e-rt',
          scope: `full|exp${expected}.infusionsoft.com`,
          ...(expiresIn === undefined ? {} : { expires_in: expiresIn }),
        },
      });
      const before = Date.now();
      const { authorize } = await startFlow('keap', `owner-exp-${_name}`);
      const params = landed(await callback('keap', { code: 'c', state: authorize.searchParams.get('state')! }));
      const c = await connection(params.connectionId);
      const delta = Date.parse(c.expiresAt) - before;
      expect(delta).toBeGreaterThanOrEqual(expected * 1000 - 1000);
      expect(delta).toBeLessThanOrEqual(expected * 1000 + 5000);
    });
  });

  describe('POST /connect-sessions', () => {
    it('returns a one-time link valid 10 minutes', async () => {
      const before = Date.now();
      const res = await t.api
        .post('/connect-sessions')
        .send({ provider: 'keap', ownerId: 'o1', scopes: ['full'], metadata: { a: 1 } })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        url: expect.stringMatching(/^http:\/\/localhost:3000\/oauth\/keap\/authorize\?session=[A-Za-z0-9_-]{43}$/),
        expiresAt: expect.any(String),
        observeToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        providers: ['keap'],
      });
      const ttl = Date.parse(res.body.expiresAt) - before;
      expect(ttl).toBeGreaterThan(599_000);
      expect(ttl).toBeLessThanOrEqual(601_000);
      const { rows } = await db.query('SELECT token_hash FROM connect_sessions WHERE id = $1', [res.body.id]);
      expect(res.body.url).not.toContain(rows[0].token_hash);
    });

    it.each([
      'https://evil.test/integrations/done',
      'https://app.example.test/other',
      'https://app.example.test/integrationsX',
      'https://app.example.test.evil.test/integrations',
      'https://app.example.test@evil.test/integrations',
      'http://app.example.test/integrations',
      '//evil.test/integrations',
      'javascript:alert(1)',
      'not a url',
    ])('refuses returnUrl %s with 400 return_url_not_allowed', async (returnUrl) => {
      const res = await t.api.post('/connect-sessions').send({ provider: 'keap', ownerId: 'o', returnUrl }).expect(400);
      expect(res.body.code).toBe('return_url_not_allowed');
    });

    it('accepts return URLs under an allowed prefix, keeping their query', async () => {
      fake.on('POST', '/keap/token', { json: { access_token: 'q-at', scope: 'full|q1.infusionsoft.com' } });
      const created = await t.api
        .post('/connect-sessions')
        .send({ provider: 'keap', ownerId: 'oq', returnUrl: 'https://app.example.test/integrations/keap?tab=2' })
        .expect(201);
      const link = new URL(created.body.url);
      const res = await t.anon.get(`${link.pathname}${link.search}`).redirects(0).expect(302);
      const state = new URL(res.headers.location).searchParams.get('state')!;
      cookies.set(state, cookiesOf(res));
      const done = await callback('keap', { code: 'c', state });
      const url = new URL(done.headers.location);
      expect(url.pathname).toBe('/integrations/keap');
      expect(url.searchParams.get('tab')).toBe('2');
      expect(url.searchParams.get('status')).toBe('connected');
    });

    it.each([
      [
        'a NUL in returnUrl',
        { provider: 'keap', ownerId: 'o', returnUrl: 'https://app.example.test/integrations/\u0000x' },
        'validation_failed',
      ],
      ['an unknown provider', { provider: 'acme', ownerId: 'o' }, 'provider_not_configured'],
      ['a missing ownerId', { provider: 'keap' }, 'validation_failed'],
      ['unknown fields', { provider: 'keap', ownerId: 'o', admin: true }, 'validation_failed'],
      ['a scope with spaces', { provider: 'keap', ownerId: 'o', scopes: ['a b'] }, 'validation_failed'],
    ])('refuses %s', async (_name, body, code) => {
      const res = await t.api.post('/connect-sessions').send(body).expect(400);
      expect(res.body.code).toBe(code);
    });

    it('needs the API key', async () => {
      await t.anon.post('/connect-sessions').send({ provider: 'keap', ownerId: 'o' }).expect(401);
    });
  });
});

describe('Lightfunnels with LIGHTFUNNELS_CLIENT_AUTH=basic', () => {
  it('sends the code in a JSON body and the client credentials as HTTP Basic', async () => {
    const fake = await new FakeProvider().start();
    const t = await startTestApp({ env: providerEnv(fake, { LIGHTFUNNELS_CLIENT_AUTH: 'basic' }) });
    try {
      fake.on('POST', '/lightfunnels/token', { json: { access_token: 'lf-basic' } });
      fake.on('POST', '/lightfunnels/api', { json: { data: { account: { id: 7 } } } });
      const created = await t.api
        .post('/connect-sessions')
        .send({ provider: 'lightfunnels', ownerId: 'o' })
        .expect(201);
      const link = new URL(created.body.url);
      const res = await t.anon.get(`${link.pathname}${link.search}`).redirects(0).expect(302);
      const state = new URL(res.headers.location).searchParams.get('state')!;
      await t.anon
        .get('/oauth/lightfunnels/callback')
        .query({ code: 'lf-c', state })
        .set('Cookie', cookiesOf(res))
        .expect(200);
      const req = fake.requestsTo('/lightfunnels/token')[0];
      expect(req.body).toEqual({ code: 'lf-c' });
      expect(req.headers.authorization).toBe(
        `Basic ${Buffer.from('cid-lightfunnels:csecret-lightfunnels').toString('base64')}`,
      );
    } finally {
      await t.close();
      await fake.stop();
    }
  });
});

describe('generic providers from PROVIDERS_FILE on the wire', () => {
  const fake = new FakeProvider();
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    await fake.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'providers-'));
    const file = path.join(dir, 'providers.json');
    const at = (name: string) => ({
      authorizeUrl: `${fake.url}/${name}/authorize`,
      tokenUrl: `${fake.url}/${name}/token`,
      revokeUrl: `${fake.url}/${name}/revoke`,
    });
    fs.writeFileSync(
      file,
      JSON.stringify([
        {
          name: 'acme-post',
          ...at('acme-post'),
          scopes: ['contacts.read', 'contacts.write'],
          scopeSeparator: ',',
          clientAuth: 'client_secret_post',
          pkce: false,
          accountIdField: 'account.id',
        },
        {
          name: 'acme-json',
          ...at('acme-json'),
          scopes: ['read', 'write'],
          scopeSeparator: '+',
          clientAuth: 'json',
          pkce: true,
          accountIdField: 'user_id',
        },
      ]),
    );
    t = await startTestApp({
      env: providerEnv(fake, {
        PROVIDERS_FILE: file,
        ACME_POST_CLIENT_ID: 'cid-acme-post',
        ACME_POST_CLIENT_SECRET: 'csecret-acme-post',
        ACME_JSON_CLIENT_ID: 'cid-acme-json',
        ACME_JSON_CLIENT_SECRET: 'csecret-acme-json',
      }),
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });

  /** Connect session → authorize redirect → the provider's callback; returns what went over the wire. */
  async function connect(provider: string, ownerId: string) {
    const created = await t.api
      .post('/connect-sessions')
      .send({ provider, ownerId, returnUrl: RETURN_URL })
      .expect(201);
    const link = new URL(created.body.url);
    const started = await t.anon.get(`${link.pathname}${link.search}`).redirects(0).expect(302);
    const location: string = started.headers.location;
    const authorize = new URL(location);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${fake.url}/${provider}/authorize`);
    const done = await t.anon
      .get(`/oauth/${provider}/callback`)
      .query({ code: `${provider}-code`, state: authorize.searchParams.get('state')! })
      .set('Cookie', cookiesOf(started))
      .redirects(0)
      .expect(302);
    const landedOn = new URL(done.headers.location);
    expect(landedOn.searchParams.get('status')).toBe('connected');
    return { location, authorize, connectionId: landedOn.searchParams.get('connectionId')! };
  }

  const only = (requests: RecordedRequest[]) => {
    expect(requests).toHaveLength(1);
    return requests[0];
  };

  it('client_secret_post, comma-separated scopes, PKCE off: credentials in the form body, no Basic header, no code_challenge or code_verifier', async () => {
    fake.on('POST', '/acme-post/token', (req) =>
      req.body.grant_type === 'refresh_token'
        ? { json: { access_token: 'post-at-2', refresh_token: 'post-rt-2', expires_in: 3600 } }
        : {
            json: {
              access_token: 'post-at-1',
              refresh_token: 'post-rt-1',
              expires_in: 3600,
              account: { id: 'acct-9' },
            },
          },
    );
    fake.on('POST', '/acme-post/revoke', { status: 200, json: {} });
    const { location, authorize, connectionId } = await connect('acme-post', 'owner-generic-post');
    expect(Object.fromEntries(authorize.searchParams)).toEqual({
      client_id: 'cid-acme-post',
      redirect_uri: `${PUBLIC_URL}/oauth/acme-post/callback`,
      response_type: 'code',
      scope: 'contacts.read,contacts.write',
      state: expect.any(String),
    });
    expect(location).toContain('scope=contacts.read%2Ccontacts.write');

    const exchange = only(fake.requestsTo('/acme-post/token'));
    expect(exchange.contentType).toBe('application/x-www-form-urlencoded');
    expect(exchange.headers.authorization).toBeUndefined();
    expect(exchange.body).toEqual({
      client_id: 'cid-acme-post',
      client_secret: 'csecret-acme-post',
      code: 'acme-post-code',
      grant_type: 'authorization_code',
      redirect_uri: `${PUBLIC_URL}/oauth/acme-post/callback`,
    });
    expect((await t.api.get(`/connections/${connectionId}`).expect(200)).body).toMatchObject({
      provider: 'acme-post',
      accountId: 'acct-9',
      scopes: ['contacts.read', 'contacts.write'],
      hasRefreshToken: true,
    });

    fake.requests.length = 0;
    await t.api.post(`/connections/${connectionId}/refresh`).expect(200);
    const refresh = only(fake.requestsTo('/acme-post/token'));
    expect(refresh.contentType).toBe('application/x-www-form-urlencoded');
    expect(refresh.headers.authorization).toBeUndefined();
    expect(refresh.body).toEqual({
      client_id: 'cid-acme-post',
      client_secret: 'csecret-acme-post',
      grant_type: 'refresh_token',
      refresh_token: 'post-rt-1',
    });

    expect((await t.api.delete(`/connections/${connectionId}`).expect(200)).body.providerRevocation).toBe('revoked');
    const revoke = only(fake.requestsTo('/acme-post/revoke'));
    expect(revoke.contentType).toBe('application/x-www-form-urlencoded');
    expect(revoke.headers.authorization).toBeUndefined();
    expect(revoke.body).toEqual({
      client_id: 'cid-acme-post',
      client_secret: 'csecret-acme-post',
      token: 'post-rt-2',
      token_type_hint: 'refresh_token',
    });
  });

  it('JSON client auth, "+"-separated scopes, PKCE on: JSON token bodies with the credentials, the verifier matching the challenge', async () => {
    fake.on('POST', '/acme-json/token', (req) =>
      req.body.grant_type === 'refresh_token'
        ? { json: { access_token: 'json-at-2', refresh_token: 'json-rt-2', expires_in: 3600 } }
        : { json: { access_token: 'json-at-1', refresh_token: 'json-rt-1', expires_in: 3600, user_id: 42 } },
    );
    fake.on('POST', '/acme-json/revoke', { status: 200, json: {} });
    const { location, authorize, connectionId } = await connect('acme-json', 'owner-generic-json');
    const q = Object.fromEntries(authorize.searchParams);
    expect(q).toEqual({
      client_id: 'cid-acme-json',
      redirect_uri: `${PUBLIC_URL}/oauth/acme-json/callback`,
      response_type: 'code',
      scope: 'read+write',
      state: expect.any(String),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });
    // The separator is data, not a space: percent-encoded on the wire.
    expect(location).toContain('scope=read%2Bwrite');

    const exchange = only(fake.requestsTo('/acme-json/token'));
    expect(exchange.contentType).toMatch(/^application\/json/);
    expect(exchange.headers.authorization).toBeUndefined();
    expect(exchange.body).toEqual({
      client_id: 'cid-acme-json',
      client_secret: 'csecret-acme-json',
      code: 'acme-json-code',
      grant_type: 'authorization_code',
      redirect_uri: `${PUBLIC_URL}/oauth/acme-json/callback`,
      code_verifier: expect.any(String),
    });
    expect(
      createHash('sha256')
        .update(exchange.body.code_verifier as string)
        .digest('base64url'),
    ).toBe(q.code_challenge);
    expect((await t.api.get(`/connections/${connectionId}`).expect(200)).body).toMatchObject({
      provider: 'acme-json',
      accountId: '42',
      scopes: ['read', 'write'],
    });

    fake.requests.length = 0;
    await t.api.post(`/connections/${connectionId}/refresh`).expect(200);
    const refresh = only(fake.requestsTo('/acme-json/token'));
    expect(refresh.contentType).toMatch(/^application\/json/);
    expect(refresh.headers.authorization).toBeUndefined();
    expect(refresh.body).toEqual({
      client_id: 'cid-acme-json',
      client_secret: 'csecret-acme-json',
      grant_type: 'refresh_token',
      refresh_token: 'json-rt-1',
    });

    // RFC 7009 revocation is a form post; the client credentials go in its body.
    expect((await t.api.delete(`/connections/${connectionId}`).expect(200)).body.providerRevocation).toBe('revoked');
    const revoke = only(fake.requestsTo('/acme-json/revoke'));
    expect(revoke.contentType).toBe('application/x-www-form-urlencoded');
    expect(revoke.headers.authorization).toBeUndefined();
    expect(revoke.body).toEqual({
      client_id: 'cid-acme-json',
      client_secret: 'csecret-acme-json',
      token: 'json-rt-2',
      token_type_hint: 'refresh_token',
    });
  });
});
