import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { rawClient } from '../support/database';
import { startTestApp, TestApp } from '../support/app';

/**
 * The provider simulators, driven over real HTTP exactly as a provider module and a browser would:
 * authorize page → consent form → redirect with a code → token call in the provider's wire format.
 */

const REDIRECT = 'https://app.example/oauth/callback';
const sha256Hex = (v: string) => createHash('sha256').update(v).digest('hex');

function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const AUTHORIZE_QUERY: Record<string, (state: string) => Record<string, string>> = {
  keap: (state) => ({ client_id: 'sandbox-keap', redirect_uri: REDIRECT, response_type: 'code', scope: 'full', state }),
  clickfunnels: (state) => ({
    client_id: 'sandbox-clickfunnels',
    grant_type: 'authorization_code',
    redirect_uri: REDIRECT,
    response_type: 'code',
    new_installation: 'true',
    state,
  }),
  'clickfunnels-classic': (state) => ({
    client_id: 'sandbox-clickfunnels-classic',
    redirect_uri: REDIRECT,
    response_type: 'code',
    state,
  }),
  lightfunnels: (state) => ({
    client_id: 'sandbox-lightfunnels',
    redirect_uri: REDIRECT,
    scope: 'orders,products',
    state,
  }),
  webflow: (state) => ({
    client_id: 'sandbox-webflow',
    response_type: 'code',
    redirect_uri: REDIRECT,
    state,
    scope: 'authorized_user:read sites:read',
  }),
};

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    fields[unescapeHtml(m[1])] = unescapeHtml(m[2]);
  return fields;
}

describe('Sandbox provider simulators (real app, real HTTP)', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL: 'https://app.example' } });
    db = await rawClient(t.databaseUrl);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  /** Loads the consent page for `query`, submits its form like a browser and returns the redirect target. */
  async function consent(
    provider: string,
    query: Record<string, string>,
    decision: 'approve' | 'deny' = 'approve',
    account?: string,
  ): Promise<URL> {
    const page = await t.anon.get(`/sandbox/${provider}/authorize`).query(query).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const res = await t.anon
      .post(`/sandbox/${provider}/consent`)
      .type('form')
      .send({ ...hiddenFields(page.text), decision, ...(account ? { account } : {}) })
      .expect(302);
    return new URL(res.headers.location);
  }

  async function codeFor(provider: string, extra: Record<string, string> = {}, account?: string): Promise<string> {
    const state = randomBytes(8).toString('hex');
    const target = await consent(provider, { ...AUTHORIZE_QUERY[provider](state), ...extra }, 'approve', account);
    expect(target.searchParams.get('state')).toBe(state);
    return target.searchParams.get('code') as string;
  }

  const calls = async (provider: string, query: Record<string, string> = {}) =>
    (await t.anon.get(`/sandbox/${provider}/calls`).query(query).expect(200)).body;

  describe('common behaviour', () => {
    it('needs no API key, answers 404 for an unknown provider and stays out of the OpenAPI document', async () => {
      await t.anon.get('/sandbox/acme/authorize').query(AUTHORIZE_QUERY.keap('s')).expect(404);
      await t.anon.post('/sandbox/keap/revoke').type('form').send({ token: 'x' }).expect(404);
      const docs = await t.anon.get('/docs-json').expect(200);
      expect(Object.keys(docs.body.paths).some((p) => p.startsWith('/sandbox'))).toBe(false);
    });

    it('renders a consent page with provider, scopes, account, Approve/Deny buttons, and escapes every echoed value', async () => {
      const state = '"><script>alert(1)</script>';
      const res = await t.anon.get('/sandbox/webflow/authorize').query(AUTHORIZE_QUERY.webflow(state)).expect(200);
      expect(res.text).toContain('Webflow');
      expect(res.text).toContain('<li>authorized_user:read</li><li>sites:read</li>');
      expect(res.text).toContain('demo@sandbox.example');
      expect(res.text).toMatch(/<button[^>]*id="approve"[^>]*>Approve<\/button>/);
      expect(res.text).toMatch(/<button[^>]*id="deny"[^>]*>Deny<\/button>/);
      expect(res.text).toMatch(/<input type="text" id="account" name="account" value="demo"/);
      expect(res.text).not.toContain('<script>');
      expect(res.text).toContain('&quot;&gt;&lt;script&gt;');
      expect(res.text).not.toMatch(/<link|<script|src=/);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      // The hidden fields carry the original parameters byte for byte.
      expect(hiddenFields(res.text)).toEqual(AUTHORIZE_QUERY.webflow(state));
      const target = await consent('webflow', AUTHORIZE_QUERY.webflow(state));
      expect(target.searchParams.get('state')).toBe(state);
    });

    it.each([
      ['keap', { client_id: 'other' }, /Unknown client_id/],
      ['keap', { client_id: '' }, /client_id is missing/],
      ['keap', { response_type: 'token' }, /response_type/],
      ['keap', { scope: 'read' }, /scope must be full/],
      ['keap', { redirect_uri: '/relative' }, /absolute http\(s\) URL/],
      ['keap', { redirect_uri: 'javascript:alert(1)' }, /absolute http\(s\) URL/],
      ['webflow', { redirect_uri: 'https://evil.example/oauth/callback' }, /not registered for this client/],
      ['webflow', { response_type: '' }, /response_type/],
      ['clickfunnels-classic', { redirect_uri: '' }, /redirect_uri is missing/],
      ['clickfunnels', { new_installation: 'false' }, /new_installation must be true/],
      ['clickfunnels', { grant_type: 'refresh_token' }, /grant_type must be authorization_code/],
      [
        'clickfunnels',
        { code_challenge: pkcePair().challenge, code_challenge_method: 'plain' },
        /code_challenge_method must be S256/,
      ],
    ])(
      '%s: refuses an invalid authorize request (%j) with a 400 page, never a redirect',
      async (provider, patch, message) => {
        const query = { ...AUTHORIZE_QUERY[provider]('s'), ...patch } as Record<string, string>;
        for (const [k, v] of Object.entries(query)) if (v === '') delete query[k];
        const res = await t.anon.get(`/sandbox/${provider}/authorize`).query(query).expect(400);
        expect(res.headers.location).toBeUndefined();
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.text).toMatch(message);
        // A tampered consent form is refused the same way.
        const post = await t.anon
          .post(`/sandbox/${provider}/consent`)
          .type('form')
          .send({ ...query, decision: 'approve' })
          .expect(400);
        expect(post.headers.location).toBeUndefined();
      },
    );

    it('refuses repeated parameters', async () => {
      const res = await t.anon
        .get(
          '/sandbox/keap/authorize?client_id=sandbox-keap&client_id=x&redirect_uri=https%3A%2F%2Fa.example%2Fcb&response_type=code&scope=full',
        )
        .expect(400);
      expect(res.text).toMatch(/client_id is repeated/);
    });

    it('deny redirects to redirect_uri with error=access_denied and the state, keeping its own query', async () => {
      const query = { ...AUTHORIZE_QUERY.keap('st-1'), redirect_uri: `${REDIRECT}?tenant=7` };
      const target = await consent('keap', query, 'deny');
      expect(`${target.origin}${target.pathname}`).toBe(REDIRECT);
      expect(target.searchParams.get('tenant')).toBe('7');
      expect(target.searchParams.get('error')).toBe('access_denied');
      expect(target.searchParams.get('error_description')).toBeTruthy();
      expect(target.searchParams.get('state')).toBe('st-1');
      expect(target.searchParams.get('code')).toBeNull();
    });

    it('omits state from the redirect when none was given', async () => {
      const query = AUTHORIZE_QUERY.lightfunnels('x');
      delete (query as Record<string, string | undefined>).state;
      const target = await consent('lightfunnels', query);
      expect(target.searchParams.has('state')).toBe(false);
      expect(target.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('stores codes and tokens as SHA-256 hashes only, and never records them in the call log', async () => {
      const code = await codeFor('keap');
      const codeRows = await db.query('SELECT * FROM sandbox.codes WHERE code_hash = $1', [sha256Hex(code)]);
      expect(codeRows.rows).toHaveLength(1);
      expect(codeRows.rows[0]).toMatchObject({
        provider: 'keap',
        client_id: 'sandbox-keap',
        redirect_uri: REDIRECT,
        scope: 'full',
      });
      const expiresIn = Date.parse(codeRows.rows[0].expires_at) - Date.now();
      expect(expiresIn).toBeGreaterThan(14 * 60_000);
      expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);
      const res = await t.anon
        .post('/sandbox/keap/token')
        .type('form')
        .send({
          client_id: 'sandbox-keap',
          client_secret: 'sandbox-secret-keap',
          code,
          grant_type: 'authorization_code',
          redirect_uri: REDIRECT,
        })
        .expect(200);
      const dump = JSON.stringify([
        (await db.query('SELECT * FROM sandbox.codes')).rows,
        (await db.query('SELECT * FROM sandbox.tokens')).rows,
        (await db.query('SELECT * FROM sandbox.calls')).rows,
      ]);
      for (const secret of [code, res.body.access_token, res.body.refresh_token]) expect(dump).not.toContain(secret);
      const tokens = await db.query('SELECT kind, grant_id FROM sandbox.tokens WHERE token_hash = ANY($1)', [
        [sha256Hex(res.body.access_token), sha256Hex(res.body.refresh_token)],
      ]);
      expect(tokens.rows.map((r) => r.kind).sort()).toEqual(['access', 'refresh']);
      expect(new Set(tokens.rows.map((r) => r.grant_id)).size).toBe(1);
      for (const secret of [code, res.body.access_token, res.body.refresh_token])
        expect(t.logs.text).not.toContain(secret);
    });
  });

  describe('Keap', () => {
    const client = { client_id: 'sandbox-keap', client_secret: 'sandbox-secret-keap' };
    const exchange = (code: string, extra: Record<string, string> = {}) =>
      t.anon
        .post('/sandbox/keap/token')
        .type('form')
        .send({ ...client, code, grant_type: 'authorization_code', redirect_uri: REDIRECT, ...extra });
    const refreshBasic = (refreshToken: string) =>
      t.anon
        .post('/sandbox/keap/token')
        .auth(client.client_id, client.client_secret)
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: refreshToken });

    it('exchanges a code (form body) for the Keap token response, and userinfo identifies the app', async () => {
      const code = await codeFor('keap', {}, 'Acme Corp');
      const res = await exchange(code).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        access_token: expect.stringMatching(/^sbx_keap_at_[A-Za-z0-9_-]{43}$/),
        token_type: 'bearer',
        expires_in: 86400,
        refresh_token: expect.stringMatching(/^sbx_keap_rt_[A-Za-z0-9_-]{43}$/),
        scope: 'full|abacmecorp.infusionsoft.com',
      });
      const me = await t.anon
        .get('/sandbox/keap/api/oauth/connect/userinfo')
        .set('Authorization', `Bearer ${res.body.access_token}`)
        .expect(200);
      expect(me.body).toMatchObject({
        infusionsoft_id: 'abacmecorp.infusionsoft.com',
        email: 'acme-corp@sandbox.example',
        global_user_id: expect.any(Number),
        given_name: expect.any(String),
        family_name: expect.any(String),
      });
    });

    it('maps the same account name to the same Keap app and user, a different one elsewhere', async () => {
      const identity = async (account: string) => {
        const { body } = await exchange(await codeFor('keap', {}, account)).expect(200);
        const me = await t.anon
          .get('/sandbox/keap/api/oauth/connect/userinfo')
          .set('Authorization', `Bearer ${body.access_token}`)
          .expect(200);
        return `${body.scope} ${me.body.global_user_id}`;
      };
      const a1 = await identity('alice');
      expect(await identity('alice')).toBe(a1);
      expect(await identity('bob')).not.toBe(a1);
    });

    it('refuses a JSON body with invalid_request', async () => {
      const code = await codeFor('keap');
      const res = await t.anon
        .post('/sandbox/keap/token')
        .send({ ...client, code, grant_type: 'authorization_code', redirect_uri: REDIRECT })
        .expect(400);
      expect(res.body).toEqual({
        error: 'invalid_request',
        error_description: expect.stringContaining('application/x-www-form-urlencoded'),
      });
      // The code survived the refused call.
      await exchange(code).expect(200);
    });

    it('refuses a wrong secret or unknown client with 401 invalid_client', async () => {
      const code = await codeFor('keap');
      expect((await exchange(code, { client_secret: 'wrong' }).expect(401)).body.error).toBe('invalid_client');
      expect((await exchange(code, { client_id: 'sandbox-webflow' }).expect(401)).body.error).toBe('invalid_client');
      const noAuth = await t.anon
        .post('/sandbox/keap/token')
        .type('form')
        .send({ code, grant_type: 'authorization_code', redirect_uri: REDIRECT })
        .expect(401);
      expect(noAuth.body.error).toBe('invalid_client');
    });

    it('codes are single use, bound to their redirect_uri, and expire', async () => {
      const code = await codeFor('keap');
      expect((await exchange(code, { redirect_uri: `${REDIRECT}/other` }).expect(400)).body.error).toBe(
        'invalid_grant',
      );
      expect((await exchange(code, { redirect_uri: '' }).expect(400)).body.error).toBe('invalid_grant');
      await exchange(code).expect(200);
      const reused = await exchange(code).expect(400);
      expect(reused.body).toEqual({
        error: 'invalid_grant',
        error_description: expect.stringMatching(/already been used/),
      });
      expect((await exchange('not-a-code').expect(400)).body.error).toBe('invalid_grant');

      const old = await codeFor('keap');
      await db.query(`UPDATE sandbox.codes SET expires_at = now() - interval '1 second' WHERE code_hash = $1`, [
        sha256Hex(old),
      ]);
      expect((await exchange(old).expect(400)).body).toEqual({
        error: 'invalid_grant',
        error_description: expect.stringMatching(/expired/),
      });
    });

    it('refuses unsupported or missing grant types', async () => {
      const res = await t.anon
        .post('/sandbox/keap/token')
        .type('form')
        .send({ ...client, grant_type: 'password' })
        .expect(400);
      expect(res.body.error).toBe('unsupported_grant_type');
      expect(
        (
          await t.anon
            .post('/sandbox/keap/token')
            .type('form')
            .send({ ...client, code: 'x' })
            .expect(400)
        ).body.error,
      ).toBe('invalid_request');
    });

    it('rotates refresh tokens (HTTP Basic client auth): the old one is invalid_grant afterwards, the new one works', async () => {
      const first = (await exchange(await codeFor('keap')).expect(200)).body;
      const second = (await refreshBasic(first.refresh_token).expect(200)).body;
      expect(second).toEqual({
        access_token: expect.stringMatching(/^sbx_keap_at_/),
        token_type: 'bearer',
        expires_in: 86400,
        refresh_token: expect.stringMatching(/^sbx_keap_rt_/),
        scope: first.scope,
      });
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(second.access_token).not.toBe(first.access_token);
      const replay = await refreshBasic(first.refresh_token).expect(400);
      expect(replay.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
      // Body credentials are accepted too.
      const third = await t.anon
        .post('/sandbox/keap/token')
        .type('form')
        .send({ ...client, grant_type: 'refresh_token', refresh_token: second.refresh_token })
        .expect(200);
      await t.anon
        .get('/sandbox/keap/api/oauth/connect/userinfo')
        .set('Authorization', `Bearer ${third.body.access_token}`)
        .expect(200);
      expect((await refreshBasic('sbx_keap_rt_unknown').expect(400)).body.error).toBe('invalid_grant');
      expect(
        (
          await t.anon
            .post('/sandbox/keap/token')
            .auth('sandbox-keap', 'nope')
            .type('form')
            .send({ grant_type: 'refresh_token', refresh_token: third.body.refresh_token })
            .expect(401)
        ).body.error,
      ).toBe('invalid_client');
      // Every token call is in the log, with the grant it concerned and no token.
      const grantId = (
        await db.query('SELECT grant_id FROM sandbox.tokens WHERE token_hash = $1', [sha256Hex(first.access_token)])
      ).rows[0].grant_id;
      const log = (await calls('keap', { grantType: 'refresh_token' })).filter(
        (c: { grantId: string }) => c.grantId === grantId,
      );
      expect(log.map((c: { status: number; error: string | null }) => `${c.status}:${c.error}`)).toEqual([
        '200:null',
        '400:invalid_grant',
        '200:null',
      ]);
    });

    it('two racing refreshes with one token: exactly one wins', async () => {
      const { refresh_token } = (await exchange(await codeFor('keap')).expect(200)).body;
      const results = await Promise.all([
        refreshBasic(refresh_token),
        refreshBasic(refresh_token),
        refreshBasic(refresh_token),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400]);
    });

    it('whoami: 401 invalid_token for a missing or unknown token, or one of another provider', async () => {
      const res = await t.anon.get('/sandbox/keap/api/oauth/connect/userinfo').expect(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/invalid_token/);
      await t.anon
        .get('/sandbox/keap/api/oauth/connect/userinfo')
        .set('Authorization', 'Bearer sbx_keap_at_nope')
        .expect(401);
      const code = await codeFor('clickfunnels-classic');
      const cf = await t.anon
        .post('/sandbox/clickfunnels-classic/token')
        .send({
          client_id: 'sandbox-clickfunnels-classic',
          client_secret: 'sandbox-secret-clickfunnels-classic',
          code,
          grant_type: 'authorization_code',
          redirect_uri: REDIRECT,
        })
        .expect(200);
      await t.anon
        .get('/sandbox/keap/api/oauth/connect/userinfo')
        .set('Authorization', `Bearer ${cf.body.access_token}`)
        .expect(401);
    });

    it('an expired access token is refused', async () => {
      const { access_token } = (await exchange(await codeFor('keap')).expect(200)).body;
      await db.query(`UPDATE sandbox.tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
        sha256Hex(access_token),
      ]);
      await t.anon
        .get('/sandbox/keap/api/oauth/connect/userinfo')
        .set('Authorization', `Bearer ${access_token}`)
        .expect(401);
    });
  });

  describe('ClickFunnels 2.0', () => {
    const client = { client_id: 'sandbox-clickfunnels', client_secret: 'sandbox-secret-clickfunnels' };
    const exchange = (code: string, extra: Record<string, string> = {}) =>
      t.anon
        .post('/sandbox/clickfunnels/token')
        .send({ code, ...client, grant_type: 'authorization_code', redirect_uri: REDIRECT, ...extra });
    const pkceCode = async (account?: string) => {
      const pair = pkcePair();
      return {
        ...pair,
        code: await codeFor('clickfunnels', { code_challenge: pair.challenge, code_challenge_method: 'S256' }, account),
      };
    };

    it('exchanges a code (JSON + PKCE S256) for the token response with team and workspace, no refresh token', async () => {
      const before = Math.floor(Date.now() / 1000);
      const { code, verifier } = await pkceCode('acme/shop');
      const res = await exchange(code, { code_verifier: verifier }).expect(200);
      expect(res.body).toEqual({
        access_token: expect.stringMatching(/^sbx_clickfunnels_at_/),
        token_type: 'Bearer',
        expires_in: 7200,
        scope: 'admin read',
        created_at: expect.any(Number),
        team_id: expect.any(Number),
        team_name: "Acme's Team",
        workspace_id: expect.any(Number),
        workspace_name: 'Shop',
        workspace_url: `${t.baseUrl}/sandbox/clickfunnels/api/workspaces/${res.body.workspace_id}`,
      });
      expect(res.body.created_at).toBeGreaterThanOrEqual(before);
      // Two workspaces of one team: same team, different workspace.
      const other = await exchange(await codeFor('clickfunnels', {}, 'acme/blog')).expect(200);
      expect(other.body.team_id).toBe(res.body.team_id);
      expect(other.body.workspace_id).not.toBe(res.body.workspace_id);

      const auth = { Authorization: `Bearer ${res.body.access_token}`, 'User-Agent': 'oauth-connections-test' };
      const teams = await t.anon.get('/sandbox/clickfunnels/api/teams').set(auth).expect(200);
      expect(teams.body).toEqual([expect.objectContaining({ id: res.body.team_id, name: "Acme's Team" })]);
      const ws = await t.anon.get(new URL(res.body.workspace_url).pathname).set(auth).expect(200);
      expect(ws.body).toMatchObject({ id: res.body.workspace_id, team_id: res.body.team_id, name: 'Shop' });
    });

    it('requires a User-Agent on API calls', async () => {
      const { body } = await exchange(await codeFor('clickfunnels')).expect(200);
      const res = await t.anon
        .get('/sandbox/clickfunnels/api/teams')
        .set('Authorization', `Bearer ${body.access_token}`)
        .unset('User-Agent')
        .expect(403);
      expect(res.body.error).toBe('forbidden');
    });

    it('refuses a wrong, missing or malformed PKCE verifier with invalid_grant (and keeps the code usable)', async () => {
      const { code, verifier } = await pkceCode();
      expect((await exchange(code, { code_verifier: pkcePair().verifier }).expect(400)).body.error).toBe(
        'invalid_grant',
      );
      expect((await exchange(code).expect(400)).body.error).toBe('invalid_grant');
      expect((await exchange(code, { code_verifier: 'short' }).expect(400)).body.error).toBe('invalid_grant');
      await exchange(code, { code_verifier: verifier }).expect(200);
      expect((await exchange(code, { code_verifier: verifier }).expect(400)).body.error).toBe('invalid_grant');
    });

    it('refuses a form body, a wrong secret, a refresh grant and a missing redirect_uri', async () => {
      const code = await codeFor('clickfunnels');
      const form = await t.anon
        .post('/sandbox/clickfunnels/token')
        .type('form')
        .send({ code, ...client, grant_type: 'authorization_code', redirect_uri: REDIRECT })
        .expect(400);
      expect(form.body.error).toBe('invalid_request');
      expect((await exchange(code, { client_secret: 'x' }).expect(401)).body.error).toBe('invalid_client');
      expect(
        (
          await t.anon
            .post('/sandbox/clickfunnels/token')
            .send({ ...client, grant_type: 'refresh_token', refresh_token: 'x' })
            .expect(400)
        ).body.error,
      ).toBe('unsupported_grant_type');
      const { redirect_uri: _omit, ...noRedirect } = {
        code,
        ...client,
        grant_type: 'authorization_code',
        redirect_uri: REDIRECT,
      };
      expect((await t.anon.post('/sandbox/clickfunnels/token').send(noRedirect).expect(400)).body.error).toBe(
        'invalid_request',
      );
      await exchange(code).expect(200);
    });

    it('revokes per RFC 7009 (form, Basic auth): the whole grant stops working; unknown tokens still get 200', async () => {
      const { body } = await exchange(await codeFor('clickfunnels')).expect(200);
      const teams = () =>
        t.anon
          .get('/sandbox/clickfunnels/api/teams')
          .set({ Authorization: `Bearer ${body.access_token}`, 'User-Agent': 'test' });
      await teams().expect(200);
      expect(
        (
          await t.anon
            .post('/sandbox/clickfunnels/revoke')
            .type('form')
            .auth(client.client_id, 'wrong')
            .send({ token: body.access_token })
            .expect(401)
        ).body.error,
      ).toBe('invalid_client');
      await teams().expect(200);
      const res = await t.anon
        .post('/sandbox/clickfunnels/revoke')
        .type('form')
        .auth(client.client_id, client.client_secret)
        .send({ token: body.access_token })
        .expect(200);
      expect(res.body).toEqual({});
      expect((await teams().expect(401)).body.error).toBe('invalid_token');
      await t.anon
        .post('/sandbox/clickfunnels/revoke')
        .type('form')
        .send({ ...client, token: 'unknown' })
        .expect(200);
      expect(
        (
          await t.anon
            .post('/sandbox/clickfunnels/revoke')
            .type('form')
            .send({ ...client })
            .expect(400)
        ).body.error,
      ).toBe('invalid_request');
    });
  });

  describe('ClickFunnels Classic', () => {
    const client = { client_id: 'sandbox-clickfunnels-classic', client_secret: 'sandbox-secret-clickfunnels-classic' };
    const exchange = (code: string) =>
      t.anon
        .post('/sandbox/clickfunnels-classic/token')
        .send({ ...client, code, grant_type: 'authorization_code', redirect_uri: REDIRECT });
    const refresh = (refreshToken: string) =>
      t.anon
        .post('/sandbox/clickfunnels-classic/token')
        .send({ ...client, refresh_token: refreshToken, grant_type: 'refresh_token' });

    it('exchanges a code (JSON) and rotates refresh tokens (JSON)', async () => {
      const first = await exchange(await codeFor('clickfunnels-classic')).expect(200);
      expect(first.body).toEqual({
        access_token: expect.stringMatching(/^sbx_clickfunnels_classic_at_/),
        token_type: 'bearer',
        expires_in: 7200,
        refresh_token: expect.stringMatching(/^sbx_clickfunnels_classic_rt_/),
      });
      const me = await t.anon
        .get('/sandbox/clickfunnels-classic/api/me')
        .set('Authorization', `Bearer ${first.body.access_token}`)
        .expect(200);
      expect(me.body).toEqual({ id: expect.any(Number), email: 'demo@sandbox.example' });
      const second = await refresh(first.body.refresh_token).expect(200);
      expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
      expect((await refresh(first.body.refresh_token).expect(400)).body.error).toBe('invalid_grant');
      await refresh(second.body.refresh_token).expect(200);
    });

    it('refuses a form body and a reused code', async () => {
      const code = await codeFor('clickfunnels-classic');
      const form = await t.anon
        .post('/sandbox/clickfunnels-classic/token')
        .type('form')
        .send({ ...client, code, grant_type: 'authorization_code', redirect_uri: REDIRECT })
        .expect(400);
      expect(form.body.error).toBe('invalid_request');
      await exchange(code).expect(200);
      expect((await exchange(code).expect(400)).body.error).toBe('invalid_grant');
    });
  });

  describe('Lightfunnels', () => {
    const client = { client_id: 'sandbox-lightfunnels', client_secret: 'sandbox-secret-lightfunnels' };

    it('accepts an authorize request without response_type and exchanges JSON {client_id, client_secret, code} for {access_token} only', async () => {
      const code = await codeFor('lightfunnels', {}, 'shop-one');
      const res = await t.anon
        .post('/sandbox/lightfunnels/token')
        .send({ ...client, code })
        .expect(200);
      expect(res.body).toEqual({ access_token: expect.stringMatching(/^sbx_lightfunnels_at_/) });
      const gql = await t.anon
        .post('/sandbox/lightfunnels/api')
        .set('Authorization', `Bearer ${res.body.access_token}`)
        .send({ query: '{ account { id } }' })
        .expect(200);
      expect(gql.body).toEqual({ data: { account: { id: expect.stringMatching(/^\d+$/) } } });
      // Same account name, same account id.
      const again = await t.anon
        .post('/sandbox/lightfunnels/token')
        .send({ ...client, code: await codeFor('lightfunnels', {}, 'shop-one') })
        .expect(200);
      const gql2 = await t.anon
        .post('/sandbox/lightfunnels/api')
        .set('Authorization', `Bearer ${again.body.access_token}`)
        .send({ query: 'query { account { id } }' })
        .expect(200);
      expect(gql2.body.data.account.id).toBe(gql.body.data.account.id);
      expect(
        (
          await t.anon
            .post('/sandbox/lightfunnels/token')
            .send({ ...client, code })
            .expect(400)
        ).body.error,
      ).toBe('invalid_grant');
    });

    it('accepts HTTP Basic client auth with a form or JSON {code}, and refuses a form body without it', async () => {
      const form = await t.anon
        .post('/sandbox/lightfunnels/token')
        .auth(client.client_id, client.client_secret)
        .type('form')
        .send({ code: await codeFor('lightfunnels') })
        .expect(200);
      expect(Object.keys(form.body)).toEqual(['access_token']);
      await t.anon
        .post('/sandbox/lightfunnels/token')
        .auth(client.client_id, client.client_secret)
        .send({ code: await codeFor('lightfunnels') })
        .expect(200);
      const noBasic = await t.anon
        .post('/sandbox/lightfunnels/token')
        .type('form')
        .send({ ...client, code: await codeFor('lightfunnels') })
        .expect(400);
      expect(noBasic.body.error).toBe('invalid_request');
      expect(
        (
          await t.anon
            .post('/sandbox/lightfunnels/token')
            .send({ client_id: client.client_id, client_secret: 'x', code: 'y' })
            .expect(401)
        ).body.error,
      ).toBe('invalid_client');
    });

    it('GraphQL needs a valid token', async () => {
      const res = await t.anon
        .post('/sandbox/lightfunnels/api')
        .set('Authorization', 'Bearer nope')
        .send({ query: '{ account { id } }' })
        .expect(401);
      expect(res.body.error).toBe('invalid_token');
    });
  });

  describe('Webflow', () => {
    const client = { client_id: 'sandbox-webflow', client_secret: 'sandbox-secret-webflow' };
    const body = (code: string) => ({ ...client, code, grant_type: 'authorization_code', redirect_uri: REDIRECT });

    it('exchanges a code (JSON or form) for {access_token, token_type}; identifies the user', async () => {
      const res = await t.anon
        .post('/sandbox/webflow/token')
        .send(body(await codeFor('webflow', {}, 'carol')))
        .expect(200);
      expect(res.body).toEqual({ access_token: expect.stringMatching(/^sbx_webflow_at_/), token_type: 'bearer' });
      const form = await t.anon
        .post('/sandbox/webflow/token')
        .type('form')
        .send(body(await codeFor('webflow', {}, 'carol')))
        .expect(200);
      const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
      const who = await t.anon
        .get('/sandbox/webflow/api/token/authorized_by')
        .set(auth(res.body.access_token))
        .expect(200);
      expect(who.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        email: 'carol@sandbox.example',
        firstName: 'Carol',
        lastName: expect.any(String),
      });
      const who2 = await t.anon
        .get('/sandbox/webflow/api/token/authorized_by')
        .set(auth(form.body.access_token))
        .expect(200);
      expect(who2.body.id).toBe(who.body.id);
      const intro = await t.anon
        .get('/sandbox/webflow/api/token/introspect')
        .set(auth(res.body.access_token))
        .expect(200);
      expect(intro.body.authorization).toMatchObject({
        grantType: 'authorization_code',
        scope: 'authorized_user:read sites:read',
        authorizedTo: { siteIds: [expect.stringMatching(/^[0-9a-f]{24}$/)], userIds: [who.body.id] },
      });
      expect(intro.body.authorization.authorizedTo.workspaceIds).toHaveLength(1);
      const intro2 = await t.anon
        .get('/sandbox/webflow/api/token/introspect')
        .set(auth(form.body.access_token))
        .expect(200);
      // A new authorization id per grant.
      expect(intro2.body.authorization.id).not.toBe(intro.body.authorization.id);
    });

    it('answers invalid_grant when the token call omits or changes the authorized redirect_uri', async () => {
      const code = await codeFor('webflow');
      const { redirect_uri: _omit, ...withoutRedirect } = body(code);
      expect((await t.anon.post('/sandbox/webflow/token').send(withoutRedirect).expect(400)).body.error).toBe(
        'invalid_grant',
      );
      expect(
        (
          await t.anon
            .post('/sandbox/webflow/token')
            .send({ ...body(code), redirect_uri: `${REDIRECT}/` })
            .expect(400)
        ).body.error,
      ).toBe('invalid_grant');
      await t.anon.post('/sandbox/webflow/token').send(body(code)).expect(200);
      expect((await t.anon.post('/sandbox/webflow/token').send(body(code)).expect(400)).body.error).toBe(
        'invalid_grant',
      );
      expect(
        (
          await t.anon
            .post('/sandbox/webflow/token')
            .send({ ...body(await codeFor('webflow')), client_secret: 'x' })
            .expect(401)
        ).body.error,
      ).toBe('invalid_client');
    });

    it('revokes with {client_id, client_secret, access_token} → {did_revoke:true}; whoami then answers 401', async () => {
      const { access_token } = (
        await t.anon
          .post('/sandbox/webflow/token')
          .send(body(await codeFor('webflow')))
          .expect(200)
      ).body;
      const who = () =>
        t.anon.get('/sandbox/webflow/api/token/authorized_by').set('Authorization', `Bearer ${access_token}`);
      await who().expect(200);
      expect(
        (
          await t.anon
            .post('/sandbox/webflow/revoke')
            .send({ client_id: client.client_id, client_secret: 'x', access_token })
            .expect(401)
        ).body.error,
      ).toBe('invalid_client');
      const res = await t.anon
        .post('/sandbox/webflow/revoke')
        .send({ ...client, access_token })
        .expect(200);
      expect(res.body).toEqual({ did_revoke: true });
      expect((await who().expect(401)).body.error).toBe('invalid_token');
      await t.anon
        .get('/sandbox/webflow/api/token/introspect')
        .set('Authorization', `Bearer ${access_token}`)
        .expect(401);
      // Form bodies work too.
      const other = (
        await t.anon
          .post('/sandbox/webflow/token')
          .send(body(await codeFor('webflow')))
          .expect(200)
      ).body.access_token;
      await t.anon
        .post('/sandbox/webflow/revoke')
        .type('form')
        .send({ ...client, access_token: other })
        .expect(200);
      const revoked = await db.query('SELECT revoked_at FROM sandbox.tokens WHERE token_hash = $1', [sha256Hex(other)]);
      expect(revoked.rows[0].revoked_at).not.toBeNull();
    });
  });

  describe('fault switches', () => {
    const keapClient = { client_id: 'sandbox-keap', client_secret: 'sandbox-secret-keap' };
    const keapExchange = async () =>
      t.anon
        .post('/sandbox/keap/token')
        .type('form')
        .send({ ...keapClient, code: await codeFor('keap'), grant_type: 'authorization_code', redirect_uri: REDIRECT });
    const keapRefresh = (refreshToken: string) =>
      t.anon
        .post('/sandbox/keap/token')
        .auth(keapClient.client_id, keapClient.client_secret)
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: refreshToken });
    const fault = (provider: string, body: Record<string, unknown>) =>
      t.anon.post(`/sandbox/${provider}/faults`).send(body);

    afterEach(async () => {
      for (const p of Object.keys(AUTHORIZE_QUERY)) await t.anon.delete(`/sandbox/${p}/faults`).expect(200);
    });

    it.each([
      ['status_500', {}, 500, (r: { body: { error: string } }) => expect(r.body.error).toBe('server_error')],
      [
        'status_503',
        { retryAfter: 30 },
        503,
        (r: { headers: Record<string, string> }) => expect(r.headers['retry-after']).toBe('30'),
      ],
      [
        'rate_limit',
        { retryAfter: 'Wed, 21 Oct 2037 07:28:00 GMT' },
        429,
        (r: { headers: Record<string, string>; body: unknown }) => {
          expect(r.headers['retry-after']).toBe('Wed, 21 Oct 2037 07:28:00 GMT');
          expect(r.body).toEqual({ code: '429', message: 'Quota Exceeded' });
        },
      ],
      [
        'non_json',
        {},
        200,
        (r: { headers: Record<string, string>; text: string }) => {
          expect(r.headers['content-type']).toMatch(/^text\/html/);
          expect(() => JSON.parse(r.text)).toThrow();
        },
      ],
      ['no_access_token', {}, 200, (r: { body: unknown }) => expect(r.body).toEqual({ token_type: 'bearer' })],
      ['error_200', {}, 200, (r: { body: { error: string } }) => expect(r.body.error).toBe('invalid_grant')],
      ['invalid_grant', {}, 400, (r: { body: { error: string } }) => expect(r.body.error).toBe('invalid_grant')],
      ['invalid_client', {}, 401, (r: { body: { error: string } }) => expect(r.body.error).toBe('invalid_client')],
      [
        'redirect',
        {},
        302,
        (r: { headers: Record<string, string> }) => expect(r.headers.location).toBe('/sandbox/keap/authorize'),
      ],
    ] as const)('token fault %s answers as configured, once, and is logged', async (kind, extra, status, check) => {
      await fault('keap', { endpoint: 'token', kind, ...extra }).expect(201);
      const res = await keapExchange();
      expect(res.status).toBe(status);
      (check as (r: unknown) => void)(res);
      const log = await calls('keap', { endpoint: 'token' });
      expect(log[log.length - 1]).toMatchObject({ status, error: `fault:${kind}`, grantType: 'authorization_code' });
      // Consumed: the next call is normal.
      expect((await keapExchange()).status).toBe(200);
    });

    it('rate_limit defaults Retry-After to 1; status_503 has none unless given', async () => {
      await fault('keap', { endpoint: 'token', kind: 'rate_limit' }).expect(201);
      expect((await keapExchange()).headers['retry-after']).toBe('1');
      await fault('keap', { endpoint: 'token', kind: 'status_503' }).expect(201);
      expect((await keapExchange()).headers['retry-after']).toBeUndefined();
    });

    it('slow delays the answer, then answers normally', async () => {
      await fault('keap', { endpoint: 'token', kind: 'slow', delayMs: 400 }).expect(201);
      const started = Date.now();
      const res = await keapExchange();
      expect(res.status).toBe(200);
      expect(res.body.access_token).toBeTruthy();
      expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    });

    it('refresh faults hit only refresh_token grants, and leave the refresh token usable', async () => {
      const { refresh_token } = (await keapExchange()).body;
      await fault('keap', { endpoint: 'refresh', kind: 'status_500', remaining: 2 }).expect(201);
      expect((await keapExchange()).status).toBe(200);
      expect((await keapRefresh(refresh_token)).status).toBe(500);
      expect((await keapRefresh(refresh_token)).status).toBe(500);
      expect((await keapRefresh(refresh_token)).status).toBe(200);
    });

    it('remaining counts down across calls, and DELETE clears pending faults', async () => {
      await fault('keap', { endpoint: 'token', kind: 'invalid_client', remaining: 3 }).expect(201);
      expect((await keapExchange()).status).toBe(401);
      expect((await keapExchange()).status).toBe(401);
      expect((await t.anon.delete('/sandbox/keap/faults').expect(200)).body).toEqual({ deleted: 1 });
      expect((await keapExchange()).status).toBe(200);
    });

    it('faults are per provider', async () => {
      await fault('webflow', { endpoint: 'token', kind: 'status_500' }).expect(201);
      expect((await keapExchange()).status).toBe(200);
    });

    it('revoke and whoami faults', async () => {
      const { access_token } = (
        await t.anon
          .post('/sandbox/webflow/token')
          .send({
            client_id: 'sandbox-webflow',
            client_secret: 'sandbox-secret-webflow',
            code: await codeFor('webflow'),
            grant_type: 'authorization_code',
            redirect_uri: REDIRECT,
          })
          .expect(200)
      ).body;
      const who = () =>
        t.anon.get('/sandbox/webflow/api/token/authorized_by').set('Authorization', `Bearer ${access_token}`);
      await fault('webflow', { endpoint: 'whoami', kind: 'rate_limit', retryAfter: 5 }).expect(201);
      const limited = await who().expect(429);
      expect(limited.headers['retry-after']).toBe('5');
      await fault('webflow', { endpoint: 'whoami', kind: 'invalid_token' }).expect(201);
      await who().expect(401);
      await who().expect(200);
      await fault('webflow', { endpoint: 'revoke', kind: 'status_503' }).expect(201);
      await t.anon
        .post('/sandbox/webflow/revoke')
        .send({ client_id: 'sandbox-webflow', client_secret: 'sandbox-secret-webflow', access_token })
        .expect(503);
      // The failed revoke changed nothing.
      await who().expect(200);
      const log = await calls('webflow');
      expect(log.slice(-4).map((c: { endpoint: string; status: number }) => `${c.endpoint}:${c.status}`)).toEqual([
        'whoami:401',
        'whoami:200',
        'revoke:503',
        'whoami:200',
      ]);
    });

    it('validates fault requests', async () => {
      expect((await fault('keap', { endpoint: 'token', kind: 'explode' }).expect(400)).body.error).toBe(
        'invalid_request',
      );
      await fault('keap', { endpoint: 'everything', kind: 'status_500' }).expect(400);
      await fault('keap', { endpoint: 'token', kind: 'slow', delayMs: 10_000_000 }).expect(400);
      await fault('keap', { endpoint: 'token', kind: 'status_500', extra: 1 }).expect(400);
      await t.anon.post('/sandbox/acme/faults').send({ endpoint: 'token', kind: 'status_500' }).expect(404);
      const created = await fault('keap', {
        endpoint: 'token',
        kind: 'status_503',
        retryAfter: 7,
        remaining: 2,
      }).expect(201);
      expect(created.body).toMatchObject({
        provider: 'keap',
        endpoint: 'token',
        kind: 'status_503',
        retryAfter: '7',
        remaining: 2,
        delayMs: 0,
      });
    });
  });
});
