import request from 'supertest';
import { ApiKeys } from '../../src/auth/api-keys';
import { ConnectionStatsRepository } from '../../src/connections/persistence/connection-stats.repository';
import { cookiesOf } from '../support/sandbox-flow';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { consoleSignIn } from '../support/console';

const HOUR = 3_600_000;

/** Text as the console's templates write it (Eta's autoEscape). */
const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);

/** The console's sessions, CSRF and headers over HTTP (the pages themselves: test/browser/console.browser.spec.ts). */
describe('console (/admin): sign-in, session, CSRF', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0' } });
  }, 60_000);
  afterAll(() => t?.close());

  const signIn = (key = TEST_API_KEY) => consoleSignIn(t, key);

  it('sends a browser without a session to the sign-in page', async () => {
    const res = await t.anon.get('/admin').expect(303);
    expect(res.headers.location).toBe('/admin/sign-in');
    const page = await t.anon.get('/admin/sign-in').expect(200);
    expect(page.text).toContain('<label for="key">API key</label>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("style-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(page.text).not.toMatch(/<script>|<style>| style="/);
  });

  it('signs in with an admin key: an HttpOnly, SameSite=Strict cookie for 8 hours, limited to /admin', async () => {
    const res = await t.anon.post('/admin/sign-in').type('form').send({ key: TEST_API_KEY }).expect(303);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^console_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/admin');
    expect(setCookie).toContain('Max-Age=28800');
    expect(setCookie).not.toContain('Secure');
    expect(setCookie).not.toContain(TEST_API_KEY);
    const overview = await t.anon.get('/admin').set('Cookie', cookiesOf(res)).expect(200);
    expect(overview.text).toContain('Signed in with <strong>env-1</strong>');
    expect(overview.text).not.toContain(TEST_API_KEY);
  });

  it('refuses a wrong key and a key without admin with the same message, saying nothing more', async () => {
    const reader = await t.api
      .post('/api-keys')
      .send({ name: 'console-reader', scopes: ['connections:read'] })
      .expect(201);
    const answers = [];
    for (const key of ['wrong-key-wrong-key', `ock_${'A'.repeat(43)}`, reader.body.key, '']) {
      const res = await t.anon.post('/admin/sign-in').type('form').send({ key }).expect(401);
      expect(res.headers['set-cookie']).toBeUndefined();
      answers.push(/id="sign-in-error">([^<]*)</.exec(res.text)?.[1]);
    }
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toContain('cannot sign in');
  });

  it('refuses a forged or tampered cookie, and a session whose key was revoked', async () => {
    const { cookie } = await signIn();
    const [name, value] = cookie.split('=');
    const tampered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await t.anon.get('/admin').set('Cookie', tampered)).status).toBe(303);
    expect((await t.anon.get('/admin').set('Cookie', `${name}=${'A'.repeat(43)}`)).status).toBe(303);
    expect((await t.anon.get('/admin').set('Cookie', `${name}=../../x`)).status).toBe(303);
    // The database holds only the token's SHA-256.
    const rows = await t.dataSource.query(`SELECT token_hash FROM console_sessions`);
    expect(JSON.stringify(rows)).not.toContain(value);
    const admin = await t.api
      .post('/api-keys')
      .send({ name: 'console-admin', scopes: ['admin'] })
      .expect(201);
    const session = await signIn(admin.body.key);
    await t.anon.get('/admin').set('Cookie', session.cookie).expect(200);
    await t.api.delete(`/api-keys/${admin.body.id}`).expect(200);
    expect((await t.anon.get('/admin').set('Cookie', session.cookie)).status).toBe(303);
  });

  it('refuses a state-changing form without the CSRF token, with another session’s, or from another origin', async () => {
    const { cookie, csrf } = await signIn();
    const other = await signIn();
    expect((await t.anon.post('/admin/sign-out').set('Cookie', cookie).type('form').send({})).status).toBe(403);
    expect(
      (await t.anon.post('/admin/sign-out').set('Cookie', cookie).type('form').send({ _csrf: other.csrf })).status,
    ).toBe(403);
    expect(
      (
        await t.anon
          .post('/admin/sign-out')
          .set('Cookie', cookie)
          .set('Origin', 'https://evil.example')
          .type('form')
          .send({ _csrf: csrf })
      ).status,
    ).toBe(403);
    const out = await t.anon
      .post('/admin/sign-out')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf })
      .expect(303);
    expect(out.headers.location).toBe('/admin/sign-in');
    expect(String(out.headers['set-cookie'])).toMatch(/console_session=;.*Max-Age=0/);
    // Signed out on the server: the same cookie opens nothing any more; another session is untouched.
    expect((await t.anon.get('/admin').set('Cookie', cookie)).status).toBe(303);
    await t.anon.get('/admin').set('Cookie', other.cookie).expect(200);
  });

  it('refuses a CSRF-less change whatever the body type: JSON, multipart, text', async () => {
    const { cookie, csrf } = await signIn();
    const post = () => t.anon.post('/admin/sign-out').set('Cookie', cookie);
    expect(
      (
        await post()
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ _csrf: csrf }))
      ).status,
    ).toBe(403);
    expect((await post().field('_csrf', csrf)).status).toBe(403);
    expect((await post().set('Content-Type', 'text/plain').send(`_csrf=${csrf}`)).status).toBe(403);
    await t.anon.get('/admin').set('Cookie', cookie).expect(200);
  });

  it('refuses a sign-in form posted from another site, and a new sign-in ends the browser’s old session', async () => {
    const foreign = await t.anon
      .post('/admin/sign-in')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ key: TEST_API_KEY });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['set-cookie']).toBeUndefined();
    const first = await signIn();
    const again = await t.anon
      .post('/admin/sign-in')
      .set('Cookie', first.cookie)
      .type('form')
      .send({ key: TEST_API_KEY })
      .expect(303);
    expect(cookiesOf(again)).not.toBe(first.cookie);
    expect((await t.anon.get('/admin').set('Cookie', first.cookie)).status).toBe(303);
    await t.anon.get('/admin').set('Cookie', cookiesOf(again)).expect(200);
  });

  it('a session belongs to the key, not its env-N name: a key taken out of API_KEYS ends its sessions', async () => {
    const second = 'second-admin-key-0123456789';
    const both = await startTestApp({
      databaseUrl: t.databaseUrl,
      env: { API_KEYS: `${TEST_API_KEY},${second}`, ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0' },
    });
    let cookie: string;
    try {
      const res = await both.anon.post('/admin/sign-in').type('form').send({ key: TEST_API_KEY }).expect(303);
      cookie = cookiesOf(res);
      await both.anon.get('/admin').set('Cookie', cookie).expect(200);
    } finally {
      await both.close();
    }
    // The next deploy lists only the second key: it is env-1 now, and the old key's session is over.
    const rotated = await startTestApp({
      databaseUrl: t.databaseUrl,
      env: { API_KEYS: second, ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0' },
    });
    try {
      expect((await rotated.anon.get('/admin').set('Cookie', cookie)).status).toBe(303);
    } finally {
      await rotated.close();
    }
  });

  it('checks a key with the API’s own check: the same keys get in, a key of another replica is looked up, and a stale key table is a 503 for both', async () => {
    // Keys made on another replica: this one has not necessarily read them yet.
    const other = await startTestApp({ databaseUrl: t.databaseUrl });
    try {
      const make = async (name: string, scopes: string[]) =>
        (await other.api.post('/api-keys').send({ name, scopes }).expect(201)).body as { id: string; key: string };
      const admin = await make('console-check-admin', ['admin']);
      const reader = await make('console-check-reader', ['connections:read']);
      const revoked = await make('console-check-revoked', ['admin']);
      await other.api.delete(`/api-keys/${revoked.id}`).expect(200);
      /** The API's answer to the key (an admin route) and the console's sign-in's. */
      const answers = async (key: string) => [
        (await t.anon.get('/api-keys').set('Authorization', `Bearer ${key}`)).status,
        (await t.anon.post('/admin/sign-in').type('form').send({ key })).status,
      ];
      expect(await answers(admin.key)).toEqual([200, 303]);
      expect(await answers(reader.key)).toEqual([403, 401]);
      expect(await answers(revoked.key)).toEqual([401, 401]);
      // Surrounding blanks in the form are the form's, not the key's.
      expect(
        (
          await t.anon
            .post('/admin/sign-in')
            .type('form')
            .send({ key: ` ${admin.key} ` })
        ).status,
      ).toBe(303);

      // A copy of the key table too old to trust: table keys are a 503 on both, whatever their scopes
      // (never "wrong key"); the keys of API_KEYS keep working.
      const stale = jest.spyOn(t.app.get(ApiKeys), 'stale', 'get').mockReturnValue(true);
      try {
        expect(await answers(admin.key)).toEqual([503, 503]);
        expect(await answers(reader.key)).toEqual([503, 503]);
        expect(await answers(TEST_API_KEY)).toEqual([200, 303]);
      } finally {
        stale.mockRestore();
      }
    } finally {
      await other.close();
    }
  });

  it('takes the webhook deliveries list’s query as GET /webhook-deliveries takes it: what the API refuses is a 400 page with the API’s message', async () => {
    const { cookie } = await signIn();
    const list = (query: string) => t.anon.get(`/admin/webhooks?${query}`).set('Cookie', cookie);
    const refused = [
      'status=lost',
      'status=failed&status=pending',
      'limit=0',
      'limit=101',
      'limit=ten',
      'limit=1.5',
      `cursor=${'a'.repeat(513)}`,
      'cursor=not%20one',
      'cursor=abc',
    ];
    for (const query of refused) {
      const api = await t.api.get(`/webhook-deliveries?${query}`);
      expect([query, api.status]).toEqual([query, 400]);
      const page = await list(query);
      expect([query, page.status]).toEqual([query, 400]);
      expect([query, /<p>([^<]*)<\/p>/.exec(page.text)?.[1]]).toEqual([query, escapeHtml(api.body.message)]);
      expect(page.text).toContain(`Code <code>${api.body.code}</code>`);
    }
    // What the API accepts, the list shows. An empty field (the filter form's "any") is not given, and
    // the console's own `done` and parameters the API does not know are left alone.
    for (const query of [
      '',
      'status=failed',
      'limit=1',
      'limit=100',
      'status=&limit=&cursor=',
      'done=redelivered',
      'x=1',
    ])
      expect([query, (await list(query)).status]).toEqual([query, 200]);
  });

  it('counts refreshes due per hour from the start of this hour, by access token lead time or refresh token renewal', async () => {
    const stats = t.app.get(ConnectionStatsRepository);
    const hourStart = Math.floor(Date.now() / HOUR) * HOUR;
    const now = new Date(hourStart + 50 * 60_000);
    const lead = 3600;
    const renewBefore = 7 * 24 * HOUR;
    const make = async (ownerId: string, expiresAt: number, refreshTokenExpiresAt?: number) => {
      const { body } = await t.api
        .post('/connections')
        .send({
          provider: 'keap',
          ownerId,
          accessToken: 'at',
          refreshToken: 'rt',
          expiresAt: new Date(expiresAt).toISOString(),
        })
        .expect(201);
      if (refreshTokenExpiresAt)
        await t.dataSource.query(`UPDATE connections SET refresh_token_expires_at = $2 WHERE id = $1`, [
          body.id,
          new Date(refreshTokenExpiresAt),
        ]);
    };
    const before = await stats.dueByHour({ keap: lead }, renewBefore, 24, now);
    // Due at hourStart + 1 h 30: in the hour labelled hourStart + 1 h.
    await make('due-hour-1', hourStart + 2.5 * HOUR);
    // The access token lasts a month, the refresh token expires in 7 days and 3 h 10 min: renewed in hour 3.
    await make('due-hour-3', hourStart + 30 * 24 * HOUR, hourStart + renewBefore + 3 * HOUR + 10 * 60_000);
    // Overdue: hour 0.
    await make('due-overdue', hourStart - 2 * HOUR);
    const after = await stats.dueByHour({ keap: lead }, renewBefore, 24, now);
    expect(after.map((n, i) => n - before[i]).slice(0, 5)).toEqual([1, 1, 0, 1, 0]);
  });

  it('serves its stylesheet and script from the service', async () => {
    const css = await t.anon.get('/admin/assets/console.css').expect(200);
    expect(css.headers['content-type']).toContain('text/css');
    const js = await t.anon.get('/admin/assets/console.js').expect(200);
    expect(js.headers['content-type']).toContain('text/javascript');
    await t.anon.get('/admin/assets/..%2fconsole.module.js').expect(404);
    await t.anon.get('/admin/assets/other.js').expect(404);
  });

  it('rate-limits sign-in per client', async () => {
    const limited = await startTestApp({
      databaseUrl: t.databaseUrl,
      env: { ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '3' },
    });
    try {
      for (let i = 0; i < 3; i++)
        await request(limited.baseUrl).post('/admin/sign-in').type('form').send({ key: 'x' }).expect(401);
      const res = await request(limited.baseUrl)
        .post('/admin/sign-in')
        .type('form')
        .send({ key: TEST_API_KEY })
        .expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      // The API is not limited by it.
      await limited.api.get('/connections').expect(200);
    } finally {
      await limited.close();
    }
  });

  it('is not there with ADMIN_CONSOLE=false', async () => {
    const off = await startTestApp({ databaseUrl: t.databaseUrl, env: { ADMIN_CONSOLE: 'false' } });
    try {
      await off.anon.get('/admin/sign-in').expect(404);
      await off.anon.get('/admin').expect(404);
    } finally {
      await off.close();
    }
  });
});
