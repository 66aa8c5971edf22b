import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import * as vm from 'node:vm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { MAX_WAITERS, OBSERVE_POLL_MS, SessionObserver } from '../../src/connect/session-observer';
import { ConnectSessionsService } from '../../src/connect-sessions/connect-sessions.service';
import { SessionState } from '../../src/connect-sessions/session-outcome';
import { typeormOptions } from '../../src/database/typeorm-options';
import { ENTITIES } from '../../src/entities';
import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TestApp } from '../support/app';
import { createTestDatabase } from '../support/database';
import { rawRequest } from '../support/raw-http';
import { connectThroughSandbox, cookiesOf } from '../support/sandbox-flow';
import { gate, waitFor, within } from '../support/wait';

/**
 * Embedded connect, the service side (issue 25, docs/connect.md "How it works (service side)"):
 * sessions of several providers and the hosted picker, reconnects, the browser's origin and return_to,
 * the recorded outcome (GET /connect-sessions/{id}), the result page's message to its opener, the
 * observe channel (long-poll, CORS, across replicas, client gone, shutdown) and the connect pages'
 * headers. Flows run through the sandbox simulators over HTTP, as a browser would drive them.
 */

/** The product's page: another origin, allowed by ALLOWED_RETURN_URLS (nothing listens there). */
const HOST = 'http://app.example.test:8080';
const HOST_RETURN = `${HOST}/settings/integrations`;
const ELSEWHERE = 'http://evil.example.test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** A well-formed id that names nothing. */
const UUID_ZERO = '00000000-0000-4000-8000-000000000000';
const HTML = { Accept: 'text/html' };

interface Created {
  id: string;
  url: string;
  expiresAt: string;
  observeToken: string;
  providers: string[];
}

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};
const tokenOf = (url: string) => new URL(url).searchParams.get('session')!;

/** The inline scripts of a page: nonce and text. */
const scriptsOf = (html: string) =>
  [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({
    nonce: /nonce="([^"]*)"/.exec(m[1])?.[1],
    text: m[2],
  }));

/** Runs a result page's script against a stand-in window: what it posted, to where, and whether it closed. */
function runOpenerScript(text: string, opener: boolean) {
  const posted: { message: unknown; targetOrigin: unknown }[] = [];
  let closed = false;
  const window = {
    opener: opener
      ? { postMessage: (message: unknown, targetOrigin: unknown) => posted.push({ message, targetOrigin }) }
      : null,
    close: () => void (closed = true),
  };
  vm.runInNewContext(text, { window });
  return { posted: JSON.parse(JSON.stringify(posted)) as typeof posted, closed };
}

describe('embedded connect: connect sessions, the picker, the observe channel', () => {
  let t: TestApp;

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestApp({
      port,
      env: { ALLOWED_RETURN_URLS: `http://127.0.0.1:${port}/done,${HOST}/settings` },
    });
  }, 60_000);
  afterAll(() => t?.close());

  const create = async (body: Record<string, unknown>): Promise<Created> =>
    (await t.api.post('/connect-sessions').send(body).expect(201)).body;
  const row = async (id: string) =>
    (await t.dataSource.query(`SELECT * FROM connect_sessions WHERE id = $1`, [id]))[0] as Record<string, unknown>;
  const state = async (id: string) => (await t.api.get(`/connect-sessions/${id}`).expect(200)).body;

  /**
   * The browser at the provider: opens `path` (a connect link, possibly with origin/return_to), which
   * must send it to the simulator's consent page, and answers there as `account`. Returns the callback
   * the simulator sends the browser back to, not yet followed, with the browser's binding cookie.
   */
  async function atProvider(path: string, account: string, decision: 'approve' | 'deny' = 'approve') {
    const authorize = await t.anon.get(path).redirects(0).expect(302);
    const consentUrl = new URL(authorize.headers.location);
    const provider = /^\/sandbox\/([^/]+)\/authorize$/.exec(consentUrl.pathname)?.[1];
    if (!provider) throw new Error(`not sent to a simulator: ${authorize.headers.location}`);
    const form = { ...Object.fromEntries(consentUrl.searchParams), decision, account };
    const consent = await request(t.baseUrl).post(`/sandbox/${provider}/consent`).type('form').send(form).redirects(0);
    expect(consent.status).toBe(302);
    const callback = new URL(consent.headers.location);
    return { path: `${callback.pathname}${callback.search}`, cookie: cookiesOf(authorize), provider };
  }

  /** The browser following the provider's redirect back: the flow's last answer. */
  const back = (cb: { path: string; cookie: string }) =>
    t.anon.get(cb.path).set('Cookie', cb.cookie).set('Accept', 'text/html').redirects(0);

  const flow = async (path: string, account: string, decision: 'approve' | 'deny' = 'approve') =>
    back(await atProvider(path, account, decision));

  describe('POST /connect-sessions', () => {
    it('one provider: its authorize link, an observe token (only its SHA-256 stored), providers', async () => {
      const s = await create({ provider: 'keap', ownerId: 'cs-one' });
      expect(s).toEqual({
        id: expect.stringMatching(UUID),
        url: `${t.baseUrl}/oauth/keap/authorize?session=${tokenOf(s.url)}`,
        expiresAt: expect.any(String),
        observeToken: expect.stringMatching(TOKEN),
        providers: ['keap'],
      });
      const r = await row(s.id);
      expect(r.observe_token_hash).toBe(sha256(s.observeToken));
      expect(r.token_hash).toBe(sha256(tokenOf(s.url)));
      expect(JSON.stringify(r)).not.toContain(s.observeToken);
      expect(r).toMatchObject({ providers: ['keap'], provider: 'keap', status: 'pending', used_at: null });
      // The two tokens are different secrets.
      expect(s.observeToken).not.toBe(tokenOf(s.url));
    });

    it('several providers: the hosted picker; a one-element list is the same as provider', async () => {
      const many = await create({ providers: ['keap', 'webflow'], ownerId: 'cs-many' });
      expect(many.url).toBe(`${t.baseUrl}/connect?session=${tokenOf(many.url)}`);
      expect(many.providers).toEqual(['keap', 'webflow']);
      expect(await row(many.id)).toMatchObject({ providers: ['keap', 'webflow'], provider: null, scopes: [] });
      const one = await create({ providers: ['webflow'], ownerId: 'cs-many' });
      expect(one.url).toBe(`${t.baseUrl}/oauth/webflow/authorize?session=${tokenOf(one.url)}`);
      expect(await row(one.id)).toMatchObject({ providers: ['webflow'], provider: 'webflow' });
    });

    it.each([
      ['provider and providers', { provider: 'keap', providers: ['keap'], ownerId: 'o' }, 400, 'validation_failed'],
      ['neither provider nor providers', { ownerId: 'o' }, 400, 'validation_failed'],
      ['an empty list', { providers: [], ownerId: 'o' }, 400, 'validation_failed'],
      ['a repeated provider', { providers: ['keap', 'keap'], ownerId: 'o' }, 400, 'validation_failed'],
      [
        'eleven providers',
        { providers: Array.from({ length: 11 }, (_, i) => `p${i}`), ownerId: 'o' },
        400,
        'validation_failed',
      ],
      ['a list that is not one', { providers: 'keap', ownerId: 'o' }, 400, 'validation_failed'],
      ['a malformed name in the list', { providers: ['keap', 'Not A Name'], ownerId: 'o' }, 400, 'validation_failed'],
      [
        'an unknown provider in the list',
        { providers: ['keap', 'acme'], ownerId: 'o' },
        400,
        'provider_not_configured',
      ],
      ['no ownerId (and no reconnect)', { providers: ['keap'] }, 400, 'validation_failed'],
      ['a reconnect that is not an object', { reconnect: 'x' }, 400, 'validation_failed'],
      ['a reconnect without a uuid', { reconnect: { connectionId: 'nope' } }, 400, 'validation_failed'],
      ['a reconnect with another field', { reconnect: { connectionId: UUID_ZERO, x: 1 } }, 400, 'validation_failed'],
      ['a reconnect of no connection', { reconnect: { connectionId: UUID_ZERO } }, 404, 'connection_not_found'],
    ])('refuses %s', async (_name, body, status, code) => {
      const res = await t.api.post('/connect-sessions').send(body).expect(status);
      expect(res.body.code).toBe(code);
    });

    it('a reconnect pins provider and owner: what else the body says must agree', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'cs-pin', 'pinned');
      const ok = await create({ reconnect: { connectionId: id } });
      expect(ok.url).toMatch(/\/oauth\/keap\/authorize\?session=/);
      expect(ok.providers).toEqual(['keap']);
      expect(await row(ok.id)).toMatchObject({ owner_id: 'cs-pin', reconnect_connection_id: id, provider: 'keap' });
      await create({ reconnect: { connectionId: id }, provider: 'keap', ownerId: 'cs-pin' });
      await create({ reconnect: { connectionId: id }, providers: ['keap'] });
      for (const disagreeing of [
        { provider: 'webflow' },
        { providers: ['webflow'] },
        { providers: ['keap', 'webflow'] },
        { ownerId: 'someone-else' },
      ]) {
        const res = await t.api
          .post('/connect-sessions')
          .send({ reconnect: { connectionId: id }, ...disagreeing })
          .expect(400);
        expect(res.body.code).toBe('validation_failed');
      }
    });
  });

  describe('the hosted picker (GET /connect)', () => {
    it('lists exactly the session’s providers by display name, each linking to its authorize route with origin and return_to passed on', async () => {
      const s = await create({ providers: ['webflow', 'keap'], ownerId: 'cs-picker' });
      const token = tokenOf(s.url);
      const res = await rawRequest(
        t.baseUrl,
        'GET',
        `${pathOf(s.url)}&origin=${encodeURIComponent(HOST)}&return_to=${encodeURIComponent(HOST_RETURN)}`,
        HTML,
      );
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      const links = [...res.text.matchAll(/<a href="([^"]+)" data-provider="([^"]+)">([^<]+)<\/a>/g)].map((m) => ({
        href: m[1].replace(/&amp;/g, '&'),
        provider: m[2],
        label: m[3],
      }));
      const href = (p: string) => {
        const u = new URL(`${t.baseUrl}/oauth/${p}/authorize`);
        u.searchParams.set('session', token);
        u.searchParams.set('origin', HOST);
        u.searchParams.set('return_to', HOST_RETURN);
        return u.toString();
      };
      expect(links).toEqual([
        { href: href('webflow'), provider: 'webflow', label: 'Webflow' },
        { href: href('keap'), provider: 'keap', label: 'Keap (Infusionsoft)' },
      ]);
      // Accessible: a language, a title, one h1 labelling the list, 44 px targets, a visible focus, a
      // phone-width viewport; and no script at all.
      expect(res.text).toMatch(/<html lang="en">/);
      expect(res.text).toMatch(/<title>[^<]+<\/title>/);
      expect(res.text.match(/<h1\b/g)).toHaveLength(1);
      expect(res.text).toMatch(/<h1 id="choose">[^<]+<\/h1>/);
      expect(res.text).toContain('<ul class="providers" aria-labelledby="choose">');
      expect(res.text).toContain('min-height:44px');
      expect(res.text).toMatch(/:focus-visible\{outline:3px solid/);
      expect(res.text).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
      expect(res.text).not.toMatch(/<script/i);
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      );
      // It only shows the session: still pending, not opened.
      expect(await row(s.id)).toMatchObject({ used_at: null, provider: null, origin: null, status: 'pending' });
      expect((await rawRequest(t.baseUrl, 'GET', pathOf(s.url), HTML)).status).toBe(200);
      // …so a link it shows still works.
      const opened = await t.anon.get(pathOf(links[1].href)).redirects(0).expect(302);
      expect(new URL(opened.headers.location).pathname).toBe('/sandbox/keap/authorize');
    });

    it('an unknown, malformed, used or expired session gets the flow’s error page', async () => {
      const used = await create({ providers: ['keap', 'webflow'], ownerId: 'cs-picker-used' });
      await t.anon
        .get(`/oauth/keap/authorize?session=${tokenOf(used.url)}`)
        .redirects(0)
        .expect(302);
      const expired = await create({ providers: ['keap', 'webflow'], ownerId: 'cs-picker-exp' });
      await t.dataSource.query(`UPDATE connect_sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        expired.id,
      ]);
      for (const [path, error] of [
        [`/connect?session=${'A'.repeat(43)}`, 'invalid_state'],
        ['/connect?session=short', 'invalid_state'],
        ['/connect', 'invalid_state'],
        [pathOf(used.url), 'invalid_state'],
        [pathOf(expired.url), 'session_expired'],
      ]) {
        const res = await rawRequest(t.baseUrl, 'GET', path, HTML);
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
        expect(res.text).toContain(`data-error="${error}"`);
        expect(res.text).not.toMatch(/<script/i);
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });
  });

  describe('authorize: the session’s providers, origin and return_to', () => {
    it('a provider outside the session’s list is refused, and the session stays as it was', async () => {
      const s = await create({ providers: ['keap', 'webflow'], ownerId: 'cs-outside' });
      const page = await rawRequest(t.baseUrl, 'GET', `/oauth/lightfunnels/authorize?session=${tokenOf(s.url)}`, HTML);
      expect(page.status).toBe(400);
      expect(page.text).toContain('data-error="provider_mismatch"');
      // With a return_to it goes back there (the session is known), saying so.
      const redirected = await t.anon
        .get(`/oauth/lightfunnels/authorize?session=${tokenOf(s.url)}&return_to=${encodeURIComponent(HOST_RETURN)}`)
        .redirects(0)
        .expect(302);
      expect(Object.fromEntries(new URL(redirected.headers.location).searchParams)).toEqual({
        status: 'error',
        error: 'provider_mismatch',
        sessionId: s.id,
      });
      expect(await row(s.id)).toMatchObject({ used_at: null, provider: null, status: 'pending', return_url: null });
      expect((await state(s.id)).status).toBe('pending');
    });

    it('the chosen provider is recorded with the link’s use, in one statement', async () => {
      const s = await create({ providers: ['keap', 'webflow'], ownerId: 'cs-chosen' });
      await t.anon
        .get(`/oauth/webflow/authorize?session=${tokenOf(s.url)}`)
        .redirects(0)
        .expect(302);
      const r = await row(s.id);
      expect(r.provider).toBe('webflow');
      expect(r.used_at).not.toBeNull();
      // Opened once: the other provider of the list cannot start a second flow.
      const again = await rawRequest(t.baseUrl, 'GET', `/oauth/keap/authorize?session=${tokenOf(s.url)}`, HTML);
      expect(again.text).toContain('data-error="invalid_state"');
      expect((await row(s.id)).provider).toBe('webflow');
    });

    it('several providers without scopes: the chosen provider’s default scopes are asked for', async () => {
      const s = await create({ providers: ['keap', 'webflow'], ownerId: 'cs-scopes' });
      const res = await t.anon
        .get(`/oauth/webflow/authorize?session=${tokenOf(s.url)}`)
        .redirects(0)
        .expect(302);
      expect(new URL(res.headers.location).searchParams.get('scope')).toBe('authorized_user:read sites:read');
    });

    it.each([
      ['another origin', ELSEWHERE],
      ['an allowed origin on another port', 'http://app.example.test:8081'],
      ['an allowed origin over https', 'https://app.example.test:8080'],
      ['an allowed origin with a path', `${HOST}/settings`],
      ['an allowed origin with user info', 'http://user@app.example.test:8080'],
      ['"null"', 'null'],
      ['not a URL', 'app.example.test'],
    ])('origin: %s is not kept, and the result page has no script', async (_name, origin) => {
      const s = await create({ provider: 'keap', ownerId: `cs-origin-${_name}` });
      const done = await flow(`${pathOf(s.url)}&origin=${encodeURIComponent(origin)}`, 'origin-out');
      expect(done.status).toBe(200);
      expect(done.text).toContain('data-status="connected"');
      expect((await row(s.id)).origin).toBeNull();
      expect(scriptsOf(done.text)).toEqual([]);
      expect(done.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      );
    });

    it('an allowed origin is kept; the result page posts the outcome to exactly it (one nonce’d script, a fresh nonce per answer) and closes', async () => {
      const nonces: string[] = [];
      for (const account of ['poster-1', 'poster-2']) {
        const s = await create({ provider: 'keap', ownerId: `cs-post-${account}` });
        const cb = await atProvider(`${pathOf(s.url)}&origin=${encodeURIComponent(`${HOST}/`)}`, account);
        expect((await row(s.id)).origin).toBe(HOST);
        const done = await back(cb);
        expect(done.status).toBe(200);
        const connectionId = /id="connection-id">([0-9a-f-]{36})</.exec(done.text)![1];
        const message = {
          type: 'oauth-connections:result',
          sessionId: s.id,
          status: 'connected',
          connectionId,
          provider: 'keap',
        };
        const scripts = scriptsOf(done.text);
        expect(scripts).toHaveLength(1);
        const [{ nonce, text }] = scripts;
        expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
        expect(text).toBe(
          `window.opener && window.opener.postMessage(${JSON.stringify(message)}, ${JSON.stringify(HOST)});\ntry { window.close(); } catch (e) {}`,
        );
        expect(done.headers['content-security-policy']).toBe(
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; frame-ancestors 'none'`,
        );
        expect(runOpenerScript(text, true)).toEqual({ posted: [{ message, targetOrigin: HOST }], closed: true });
        // A severed opener: nothing posted, the popup still closes (the observe channel tells the rest).
        expect(runOpenerScript(text, false)).toEqual({ posted: [], closed: true });
        // No token, code or state anywhere in the page.
        const callbackQuery = new URL(cb.path, t.baseUrl).searchParams;
        for (const secret of [tokenOf(s.url), s.observeToken, callbackQuery.get('code')!, callbackQuery.get('state')!])
          expect(done.text).not.toContain(secret);
        nonces.push(nonce!);
      }
      expect(nonces[0]).not.toBe(nonces[1]);
    });

    it('an error is posted too; a request that does not end the flow (a reused link) posts nothing', async () => {
      const s = await create({ provider: 'keap', ownerId: 'cs-post-error' });
      const done = await flow(`${pathOf(s.url)}&origin=${encodeURIComponent(HOST)}`, 'denier', 'deny');
      expect(done.status).toBe(400);
      const [{ text }] = scriptsOf(done.text);
      expect(runOpenerScript(text, true).posted).toEqual([
        {
          message: { type: 'oauth-connections:result', sessionId: s.id, status: 'error', error: 'access_denied' },
          targetOrigin: HOST,
        },
      ]);
      const reused = await rawRequest(t.baseUrl, 'GET', `${pathOf(s.url)}&origin=${encodeURIComponent(HOST)}`, HTML);
      expect(reused.text).toContain('data-error="invalid_state"');
      expect(scriptsOf(reused.text)).toEqual([]);
      expect(await state(s.id)).toMatchObject({ status: 'error', error: 'access_denied' });
    });

    it('return_to: kept when the session has no returnUrl and it is allowed; the session’s own returnUrl wins; another is ignored', async () => {
      const kept = await create({ provider: 'keap', ownerId: 'cs-return-to' });
      const landed = await flow(`${pathOf(kept.url)}&return_to=${encodeURIComponent(`${HOST_RETURN}?tab=2`)}`, 'rt');
      expect(landed.status).toBe(302);
      const url = new URL(landed.headers.location);
      expect(`${url.origin}${url.pathname}`).toBe(HOST_RETURN);
      const { connectionId, ...rest } = Object.fromEntries(url.searchParams);
      expect(rest).toEqual({ tab: '2', status: 'connected', provider: 'keap', sessionId: kept.id });
      expect(connectionId).toMatch(UUID);

      const own = await create({ provider: 'keap', ownerId: 'cs-return-own', returnUrl: `${t.baseUrl}/done` });
      const ownLanded = await flow(`${pathOf(own.url)}&return_to=${encodeURIComponent(HOST_RETURN)}`, 'rt-own');
      expect(ownLanded.headers.location).toMatch(new RegExp(`^${t.baseUrl}/done\\?status=connected&`));

      const ignored = await create({ provider: 'keap', ownerId: 'cs-return-bad' });
      const page = await flow(
        `${pathOf(ignored.url)}&return_to=${encodeURIComponent(`${ELSEWHERE}/settings`)}`,
        'rt-bad',
      );
      expect(page.status).toBe(200);
      expect(page.text).toContain('data-status="connected"');
      expect((await row(ignored.id)).return_url).toBeNull();
    });

    it('with a return URL: status, connectionId, provider and sessionId, or status, error and sessionId', async () => {
      const ok = await create({ provider: 'keap', ownerId: 'cs-ret', returnUrl: `${t.baseUrl}/done` });
      const okLanded = new URL((await flow(pathOf(ok.url), 'ret')).headers.location);
      const params = Object.fromEntries(okLanded.searchParams);
      expect(params).toEqual({
        status: 'connected',
        connectionId: expect.stringMatching(UUID),
        provider: 'keap',
        sessionId: ok.id,
      });
      expect(await state(ok.id)).toEqual({
        id: ok.id,
        status: 'connected',
        connectionId: params.connectionId,
        provider: 'keap',
        expiresAt: ok.expiresAt,
      });
      const denied = await create({ provider: 'webflow', ownerId: 'cs-ret', returnUrl: `${t.baseUrl}/done` });
      const deniedLanded = new URL((await flow(pathOf(denied.url), 'ret', 'deny')).headers.location);
      expect(Object.fromEntries(deniedLanded.searchParams)).toEqual({
        status: 'error',
        error: 'access_denied',
        sessionId: denied.id,
      });
      expect(await state(denied.id)).toEqual({
        id: denied.id,
        status: 'error',
        provider: 'webflow',
        error: 'access_denied',
        expiresAt: denied.expiresAt,
      });
    });

    it('a replayed callback does not overwrite the recorded outcome', async () => {
      const s = await create({ provider: 'keap', ownerId: 'cs-replay' });
      const cb = await atProvider(pathOf(s.url), 'replay');
      expect((await back(cb)).status).toBe(200);
      const replay = await back(cb);
      expect(replay.text).toContain('data-error="invalid_state"');
      expect((await state(s.id)).status).toBe('connected');
    });
  });

  describe('GET /connect-sessions/{id}', () => {
    it('pending, then expired once nothing can end it (the link’s time, and an opened flow’s own time)', async () => {
      const s = await create({ provider: 'keap', ownerId: 'cs-states' });
      expect(await state(s.id)).toEqual({ id: s.id, status: 'pending', provider: 'keap', expiresAt: s.expiresAt });
      await t.dataSource.query(`UPDATE connect_sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        s.id,
      ]);
      expect((await state(s.id)).status).toBe('expired');

      // Opened: the user may still be at the provider after the link's ten minutes.
      const opened = await create({ providers: ['keap', 'webflow'], ownerId: 'cs-states' });
      expect(await state(opened.id)).toEqual({ id: opened.id, status: 'pending', expiresAt: opened.expiresAt });
      await t.anon
        .get(`/oauth/keap/authorize?session=${tokenOf(opened.url)}`)
        .redirects(0)
        .expect(302);
      await t.dataSource.query(
        `UPDATE connect_sessions SET expires_at = now() - interval '1 second', used_at = now() - interval '5 minutes' WHERE id = $1`,
        [opened.id],
      );
      expect(await state(opened.id)).toMatchObject({ status: 'pending', provider: 'keap' });
      await t.dataSource.query(`UPDATE connect_sessions SET used_at = now() - interval '11 minutes' WHERE id = $1`, [
        opened.id,
      ]);
      expect(await state(opened.id)).toMatchObject({ status: 'expired', provider: 'keap' });
    });

    it('404 connect_session_not_found, 400 for a malformed id, and the connections:read scope', async () => {
      const missing = await t.api.get(`/connect-sessions/${UUID_ZERO}`).expect(404);
      expect(missing.body.code).toBe('connect_session_not_found');
      expect((await t.api.get('/connect-sessions/nope').expect(400)).body.code).toBe('validation_failed');
      await t.anon.get(`/connect-sessions/${UUID_ZERO}`).expect(401);
      const s = await create({ provider: 'keap', ownerId: 'cs-scope' });
      const keyOf = async (scopes: string[]) =>
        (
          await t.api
            .post('/api-keys')
            .send({ name: `cs-${scopes.join('-')}`, scopes })
            .expect(201)
        ).body.key as string;
      const reader = await keyOf(['connections:read']);
      await t.anon.get(`/connect-sessions/${s.id}`).set('Authorization', `Bearer ${reader}`).expect(200);
      const writer = await keyOf(['connections:write']);
      const refused = await t.anon
        .get(`/connect-sessions/${s.id}`)
        .set('Authorization', `Bearer ${writer}`)
        .expect(403);
      expect(refused.body).toMatchObject({ code: 'insufficient_scope', requiredScope: 'connections:read' });
    });
  });

  describe('the observe channel (GET /connect/observe/{sessionId})', () => {
    const observe = (app: Pick<TestApp, 'baseUrl'>, id: string, token: string | undefined, query = '', headers = {}) =>
      rawRequest(app.baseUrl, 'GET', `/connect/observe/${id}${query}`, {
        ...(token !== undefined && { 'X-Observe-Token': token }),
        ...headers,
      });

    /** Resolves when `app`'s observer starts waiting on a request; `returned()` is what it will answer. */
    function watchObserver(app: TestApp) {
      const observer = app.app.get(SessionObserver);
      const original = observer.until.bind(observer);
      const entered = gate();
      let returned: Promise<SessionState | null> | undefined;
      const spy = jest.spyOn(observer, 'until').mockImplementation((...args) => {
        returned = original(...args);
        entered.release();
        return returned;
      });
      return { entered: entered.promise, returned: () => returned!, restore: () => spy.mockRestore() };
    }

    it('a wrong or missing token, an unknown or malformed session: the same 404 not_found', async () => {
      const s = await create({ provider: 'keap', ownerId: 'cs-observe-404' });
      const other = await create({ provider: 'keap', ownerId: 'cs-observe-404' });
      const answers = [
        await observe(t, s.id, other.observeToken, '?wait=0'),
        await observe(t, s.id, 'x'.repeat(43), '?wait=0'),
        await observe(t, s.id, undefined, '?wait=0'),
        await observe(t, s.id, tokenOf(s.url), '?wait=0'),
        await observe(t, UUID_ZERO, s.observeToken, '?wait=0'),
        await observe(t, 'not-a-uuid', s.observeToken, '?wait=0'),
      ];
      for (const a of answers) {
        expect({ status: a.status, code: a.body.code, message: a.body.message }).toEqual({
          status: 404,
          code: 'not_found',
          message: 'No connect session with this id and observe token',
        });
        expect(a.headers['cache-control']).toBe('no-store');
      }
      const right = await observe(t, s.id, s.observeToken, '?wait=0');
      expect(right.status).toBe(200);
      expect(right.body).toEqual({ status: 'pending', provider: 'keap' });
      expect(right.headers['cache-control']).toBe('no-store');
    });

    it.each(['26', '-1', '1.5', 'abc', ''])('wait=%s is 400 validation_failed', async (wait) => {
      const s = await create({ provider: 'keap', ownerId: 'cs-observe-wait' });
      const res = await observe(t, s.id, s.observeToken, `?wait=${wait}`);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    });

    it('answers at once when the session is no longer pending (connected, error, expired)', async () => {
      const connected = await create({ provider: 'keap', ownerId: 'cs-observe-now' });
      await flow(pathOf(connected.url), 'observe-now');
      const expired = await create({ provider: 'keap', ownerId: 'cs-observe-now' });
      await t.dataSource.query(`UPDATE connect_sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        expired.id,
      ]);
      const started = Date.now();
      const a = await observe(t, connected.id, connected.observeToken, '?wait=25');
      const b = await observe(t, expired.id, expired.observeToken);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(a.body).toEqual({ status: 'connected', connectionId: expect.stringMatching(UUID), provider: 'keap' });
      expect(b.body).toEqual({ status: 'expired', provider: 'keap' });
    });

    it('a waiting poll answers as soon as the flow completes on this replica (woken, not polled)', async () => {
      const s = await create({ provider: 'keap', ownerId: 'cs-observe-wait-done' });
      const cb = await atProvider(pathOf(s.url), 'long-poll');
      const watch = watchObserver(t);
      // The shared poll cannot be what answers within a second here: only the local end's wake can.
      const observer = t.app.get(SessionObserver);
      observer.pollMs = 10_000;
      try {
        const started = Date.now();
        const poll = observe(t, s.id, s.observeToken, '?wait=20');
        await within(watch.entered, 5_000, 'the poll waiting');
        const done = await back(cb);
        expect(done.status).toBe(200);
        const finished = Date.now();
        const answer = await within(poll, 2_000, 'the poll answering after the flow');
        expect(Date.now() - finished).toBeLessThan(1_000);
        expect(Date.now() - started).toBeLessThan(10_000);
        const connectionId = /id="connection-id">([0-9a-f-]{36})</.exec(done.text)![1];
        expect(answer.body).toEqual({ status: 'connected', connectionId, provider: 'keap' });
      } finally {
        watch.restore();
        observer.pollMs = OBSERVE_POLL_MS;
      }
    });

    it('one statement per poll for every waiting session, and at most maxWaiters waits at once (more: answered at once)', async () => {
      const observer = t.app.get(SessionObserver);
      const sessions = t.app.get(ConnectSessionsService);
      const reads = jest.spyOn(sessions, 'statesNow');
      const single = jest.spyOn(sessions, 'stateNow');
      const waiting = await Promise.all([1, 2, 3].map((i) => create({ provider: 'keap', ownerId: `cs-shared-${i}` })));
      observer.maxWaiters = 3;
      try {
        const polls = waiting.map((s) => observe(t, s.id, s.observeToken, '?wait=2'));
        await waitFor(
          () => reads.mock.calls.some((call) => call[0].length === 3),
          'one poll reading the three sessions',
        );
        // A fourth waiter over the cap: answered at once, pending.
        const extra = await create({ provider: 'keap', ownerId: 'cs-shared-4' });
        const started = Date.now();
        const over = await observe(t, extra.id, extra.observeToken, '?wait=20');
        expect(Date.now() - started).toBeLessThan(1_500);
        expect(over.body).toEqual({ status: 'pending', provider: 'keap' });
        for (const answer of await Promise.all(polls))
          expect(answer.body).toEqual({ status: 'pending', provider: 'keap' });
        // Each poll read all waiting sessions together; no waiter read its own row while waiting.
        expect(reads.mock.calls.every((call) => call[0].length <= 3)).toBe(true);
        expect(single.mock.calls.length).toBeLessThanOrEqual(3);
      } finally {
        observer.maxWaiters = MAX_WAITERS;
        reads.mockRestore();
        single.mockRestore();
      }
    });

    it('CORS: the request’s Origin echoed only when it is an allowed origin; the preflight allows GET and X-Observe-Token; no credentials', async () => {
      const s = await create({ provider: 'keap', ownerId: 'cs-cors' });
      const allowed = await observe(t, s.id, s.observeToken, '?wait=0', { Origin: HOST });
      expect(allowed.status).toBe(200);
      expect(allowed.headers['access-control-allow-origin']).toBe(HOST);
      expect(allowed.headers.vary).toMatch(/\bOrigin\b/);
      expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
      // A refusal is readable by an allowed page too.
      const wrong = await observe(t, s.id, 'x'.repeat(43), '?wait=0', { Origin: HOST });
      expect(wrong.status).toBe(404);
      expect(wrong.headers['access-control-allow-origin']).toBe(HOST);
      for (const origin of [ELSEWHERE, `${HOST}/`, 'http://app.example.test:8081', 'null']) {
        const res = await observe(t, s.id, s.observeToken, '?wait=0', { Origin: origin });
        expect({ origin, acao: res.headers['access-control-allow-origin'] }).toEqual({ origin, acao: undefined });
        expect(res.headers.vary).toMatch(/\bOrigin\b/);
      }
      const preflight = (origin: string) =>
        rawRequest(t.baseUrl, 'OPTIONS', `/connect/observe/${s.id}`, {
          Origin: origin,
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': 'x-observe-token',
        });
      const ok = await preflight(HOST);
      expect(ok.status).toBe(204);
      expect(ok.headers).toMatchObject({
        'access-control-allow-origin': HOST,
        'access-control-allow-methods': 'GET',
        'access-control-allow-headers': 'X-Observe-Token',
        vary: expect.stringMatching(/\bOrigin\b/),
      });
      expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
      const refused = await preflight(ELSEWHERE);
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('stops waiting when the client goes away', async () => {
      const s = await create({ provider: 'keap', ownerId: 'cs-observe-gone' });
      const watch = watchObserver(t);
      try {
        const { hostname, port } = new URL(t.baseUrl);
        const req = httpRequest({
          hostname,
          port,
          path: `/connect/observe/${s.id}?wait=25`,
          headers: { 'X-Observe-Token': s.observeToken },
        });
        req.on('error', () => undefined);
        req.end();
        await within(watch.entered, 5_000, 'the poll waiting');
        req.destroy();
        expect(await within(watch.returned(), 2_000, 'the wait ending after the client left')).toEqual({
          status: 'pending',
          provider: 'keap',
        });
      } finally {
        watch.restore();
      }
    });

    describe('with a second instance on the same database', () => {
      let b: TestApp;
      beforeAll(async () => {
        b = await startTestApp({ databaseUrl: t.databaseUrl, env: { ALLOWED_RETURN_URLS: `${HOST}/settings` } });
      }, 60_000);
      afterAll(() => b?.close());

      it('a poll on one instance answers when the flow completes on the other', async () => {
        const s = await create({ provider: 'webflow', ownerId: 'cs-observe-replica' });
        const cb = await atProvider(pathOf(s.url), 'replica');
        const watch = watchObserver(b);
        try {
          const poll = observe(b, s.id, s.observeToken, '?wait=20', { Origin: HOST });
          await within(watch.entered, 5_000, 'the poll waiting on the second instance');
          const done = await back(cb);
          const finished = Date.now();
          const answer = await within(poll, 3_000, 'the poll answering after the flow on the other instance');
          expect(Date.now() - finished).toBeLessThan(2_000);
          expect(answer.body).toEqual({
            status: 'connected',
            connectionId: /id="connection-id">([0-9a-f-]{36})</.exec(done.text)![1],
            provider: 'webflow',
          });
          expect(answer.headers['access-control-allow-origin']).toBe(HOST);
        } finally {
          watch.restore();
        }
      });

      it('shutting the instance down answers its waiting polls instead of hanging', async () => {
        const s = await create({ provider: 'keap', ownerId: 'cs-observe-shutdown' });
        const watch = watchObserver(b);
        const poll = observe(b, s.id, s.observeToken, '?wait=25');
        await within(watch.entered, 5_000, 'the poll waiting');
        const started = Date.now();
        await within(b.close(), 5_000, 'the app closing with a poll waiting');
        const answer = await within(poll, 1_000, 'the poll answered on shutdown');
        expect(Date.now() - started).toBeLessThan(5_000);
        expect({ status: answer.status, body: answer.body }).toEqual({
          status: 200,
          body: { status: 'pending', provider: 'keap' },
        });
        b = undefined as unknown as TestApp;
      });
    });
  });

  describe('reconnect', () => {
    const credentials = async (id: string) =>
      (await t.api.get(`/connections/${id}/credentials`).expect(200)).body as { accessToken: string; version: string };
    const connectionsOf = async (ownerId: string) =>
      (await t.api.get('/connections').query({ ownerId }).expect(200)).body.data.map((c: { id: string }) => c.id);

    it('the same account: updated in place, same id, new tokens', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'cs-re-same', 'same-account');
      const before = await credentials(id);
      const s = await create({ reconnect: { connectionId: id }, returnUrl: `${t.baseUrl}/done` });
      const landed = new URL((await flow(pathOf(s.url), 'same-account')).headers.location);
      expect(Object.fromEntries(landed.searchParams)).toEqual({
        status: 'connected',
        connectionId: id,
        provider: 'keap',
        sessionId: s.id,
      });
      expect(await state(s.id)).toMatchObject({ status: 'connected', connectionId: id });
      expect((await credentials(id)).accessToken).not.toBe(before.accessToken);
      expect(await connectionsOf('cs-re-same')).toEqual([id]);
    });

    it('another account: account_mismatch, nothing stored, the connection’s tokens untouched', async () => {
      const id = await connectThroughSandbox(t, 'keap', 'cs-re-other', 'first-account');
      const before = await credentials(id);
      const [{ token_version: versionBefore }] = await t.dataSource.query(
        'SELECT token_version FROM connections WHERE id = $1',
        [id],
      );
      const s = await create({ reconnect: { connectionId: id } });
      const done = await flow(`${pathOf(s.url)}&origin=${encodeURIComponent(HOST)}`, 'second-account');
      expect(done.status).toBe(400);
      expect(done.text).toContain('data-error="account_mismatch"');
      expect(runOpenerScript(scriptsOf(done.text)[0].text, true).posted[0].message).toEqual({
        type: 'oauth-connections:result',
        sessionId: s.id,
        status: 'error',
        error: 'account_mismatch',
      });
      expect(await state(s.id)).toEqual({
        id: s.id,
        status: 'error',
        provider: 'keap',
        error: 'account_mismatch',
        expiresAt: s.expiresAt,
      });
      expect(await credentials(id)).toEqual(before);
      const [{ token_version: versionAfter }] = await t.dataSource.query(
        'SELECT token_version FROM connections WHERE id = $1',
        [id],
      );
      expect(versionAfter).toBe(versionBefore);
      expect(await connectionsOf('cs-re-other')).toEqual([id]);
    });

    it('another account at a provider that revokes: the new tokens are revoked there, the connection’s are not', async () => {
      const id = await connectThroughSandbox(t, 'webflow', 'cs-re-revoke', 'wf-first');
      const before = await credentials(id);
      const s = await create({ reconnect: { connectionId: id }, returnUrl: `${t.baseUrl}/done` });
      const [{ now: started }] = await t.dataSource.query('SELECT now()');
      const landed = new URL((await flow(pathOf(s.url), 'wf-second')).headers.location);
      expect(Object.fromEntries(landed.searchParams)).toEqual({
        status: 'error',
        error: 'account_mismatch',
        sessionId: s.id,
      });
      const issued = await t.dataSource.query(
        `SELECT token_hash, revoked_at FROM sandbox.tokens WHERE provider = 'webflow' AND created_at >= $1`,
        [started],
      );
      expect(issued.length).toBeGreaterThan(0);
      expect(issued.filter((r: { revoked_at: unknown }) => r.revoked_at === null)).toEqual([]);
      expect(await credentials(id)).toEqual(before);
      const [old] = await t.dataSource.query(`SELECT revoked_at FROM sandbox.tokens WHERE token_hash = $1`, [
        sha256(before.accessToken),
      ]);
      expect(old).toEqual({ revoked_at: null });
      expect(await connectionsOf('cs-re-revoke')).toEqual([id]);
    });
  });

  describe('headers of the connect pages', () => {
    it('COOP unsafe-none, frame-ancestors none, no-store and no-referrer on /connect, /connect/observe and /oauth/*; the API keeps its own', async () => {
      const s = await create({ providers: ['keap', 'webflow'], ownerId: 'cs-headers' });
      const pages = [
        await rawRequest(t.baseUrl, 'GET', pathOf(s.url), HTML),
        await rawRequest(t.baseUrl, 'GET', '/connect?session=x', HTML),
        await rawRequest(t.baseUrl, 'GET', `/connect/observe/${s.id}?wait=0`, { 'X-Observe-Token': s.observeToken }),
        await rawRequest(t.baseUrl, 'GET', `/oauth/keap/authorize?session=${'B'.repeat(43)}`, HTML),
      ];
      for (const res of pages) {
        expect(res.headers['cross-origin-opener-policy']).toBe('unsafe-none');
        expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        expect(res.headers['x-frame-options']).toBe('DENY');
      }
      const api = await t.api.get(`/connect-sessions/${s.id}`).expect(200);
      expect(api.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(api.headers['content-security-policy']).toBe(
        "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
      );
    });
  });
});

describe('rate limits of the connect pages', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { OAUTH_RATE_LIMIT_PER_MINUTE: '3' } });
  }, 60_000);
  afterAll(() => t?.close());

  it('the observe channel per client with its own count; the picker counts with /oauth/*', async () => {
    const observe = () =>
      rawRequest(t.baseUrl, 'GET', `/connect/observe/${UUID_ZERO}?wait=0`, { 'X-Observe-Token': 'x' });
    for (let i = 0; i < 3; i++) expect((await observe()).status).toBe(404);
    const limited = await observe();
    expect({ status: limited.status, code: limited.body.code }).toEqual({ status: 429, code: 'rate_limited' });
    // The preflight is not counted.
    expect((await rawRequest(t.baseUrl, 'OPTIONS', `/connect/observe/${UUID_ZERO}`, { Origin: HOST })).status).toBe(
      204,
    );
    // /oauth/* and /connect share theirs, apart from the observe channel's.
    expect((await rawRequest(t.baseUrl, 'GET', '/connect?session=x', HTML)).status).toBe(400);
    expect((await rawRequest(t.baseUrl, 'GET', '/oauth/keap/authorize?session=x', HTML)).status).toBe(400);
    expect((await rawRequest(t.baseUrl, 'GET', '/connect?session=x', HTML)).status).toBe(400);
    const page = await rawRequest(t.baseUrl, 'GET', '/connect?session=x', HTML);
    expect(page.status).toBe(429);
    expect(page.text).toContain('data-error="rate_limited"');
  });
});

describe('migration EmbeddedConnect on existing connect sessions', () => {
  let ds: DataSource;
  beforeAll(async () => {
    ds = await new DataSource(typeormOptions(await createTestDatabase(), 2, ENTITIES)).initialize();
  });
  afterAll(() => ds?.destroy());

  it('providers = {provider}; connected where a connection was made, else pending; reverts', async () => {
    await ds.runMigrations({ transaction: 'each' });
    const applied = async () =>
      (await ds.query(`SELECT name FROM typeorm_migrations ORDER BY id`)).map((r: { name: string }) => r.name);
    while ((await applied()).includes('EmbeddedConnect1796539834618'))
      await ds.undoLastMigration({ transaction: 'each' });
    const insert = (id: string, provider: string, usedAt: string | null, connectionId: string | null) =>
      ds.query(
        `INSERT INTO connect_sessions (id, token_hash, provider, owner_id, expires_at, used_at, connection_id)
         VALUES ($1, $2, $3, 'owner', now() + interval '5 minutes', $4, $5)`,
        [id, sha256(id), provider, usedAt, connectionId],
      );
    const ids = [
      '00000000-0000-4000-8000-00000000000a',
      '00000000-0000-4000-8000-00000000000b',
      '00000000-0000-4000-8000-00000000000c',
    ];
    await insert(ids[0], 'keap', null, null);
    await insert(ids[1], 'webflow', '2026-01-01T00:00:00Z', '00000000-0000-4000-8000-0000000000ff');
    await insert(ids[2], 'keap', '2026-01-01T00:00:00Z', null);
    await ds.runMigrations({ transaction: 'each' });
    const rows = await ds.query(
      `SELECT id, providers, provider, status, connection_id, error, observe_token_hash, origin
         FROM connect_sessions WHERE id = ANY($1) ORDER BY id`,
      [ids],
    );
    expect(rows).toEqual([
      {
        id: ids[0],
        providers: ['keap'],
        provider: 'keap',
        status: 'pending',
        connection_id: null,
        error: null,
        observe_token_hash: null,
        origin: null,
      },
      {
        id: ids[1],
        providers: ['webflow'],
        provider: 'webflow',
        status: 'connected',
        connection_id: '00000000-0000-4000-8000-0000000000ff',
        error: null,
        observe_token_hash: null,
        origin: null,
      },
      {
        id: ids[2],
        providers: ['keap'],
        provider: 'keap',
        status: 'pending',
        connection_id: null,
        error: null,
        observe_token_hash: null,
        origin: null,
      },
    ]);
    // A session of several providers not yet opened goes back with the first of its list.
    await ds.query(
      `INSERT INTO connect_sessions (id, token_hash, providers, owner_id, expires_at) VALUES ($1, $2, '{webflow,keap}', 'o', now())`,
      ['00000000-0000-4000-8000-00000000000d', sha256('d')],
    );
    await expect(
      ds.query(`UPDATE connect_sessions SET provider = 'lightfunnels' WHERE id = $1`, [ids[0]]),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      ds.query(`UPDATE connect_sessions SET status = 'connected' WHERE id = $1`, [ids[0]]),
    ).rejects.toMatchObject({ code: '23514' });
    while ((await applied()).includes('EmbeddedConnect1796539834618'))
      await ds.undoLastMigration({ transaction: 'each' });
    expect(
      await ds.query(`SELECT provider FROM connect_sessions WHERE id = '00000000-0000-4000-8000-00000000000d'`),
    ).toEqual([{ provider: 'webflow' }]);
    await ds.runMigrations({ transaction: 'each' });
  });
});
