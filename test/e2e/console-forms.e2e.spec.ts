import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { appConfig } from '../../src/config/app.config';
import { startTestApp, TestApp } from '../support/app';
import { consoleSignIn, ConsoleSession } from '../support/console';
import { routesOf } from '../support/routes';
import { StubProvider } from '../support/stub-provider';

/** A form's target, made fresh for it: where it posts, and the state its POST would change. */
interface Target {
  url: string;
  /** What the form changes, read from the database and the provider: equal before and after a refused post. */
  state(): Promise<unknown>;
}

/** One state-changing form of the console, as the router has it (METHOD path), and what it does when accepted. */
interface Form {
  route: string;
  /** The form's own fields (besides _csrf). */
  fields?: Record<string, string>;
  prepare(): Promise<Target>;
  /** The answer and the change of an accepted post. */
  accepted(res: request.Response, target: Target, before: unknown): Promise<void>;
}

/** How a post goes wrong: each must be refused with nothing changed. */
interface Attack {
  name: string;
  /** 403 (a refused form page), or any 4xx (a body type the console does not read may be refused earlier). */
  answer: 'forbidden' | 'client-error';
  send(
    post: () => request.Test,
    fields: Record<string, string>,
    own: ConsoleSession,
    other: ConsoleSession,
  ): request.Test;
}

/**
 * CSRF and Origin on every state-changing console form, with a valid session: without the session's
 * token, with another session's or a made-up one, from another origin (or an opaque one) with the
 * right token, or as a body other than an HTML form, each post is refused and changes nothing; with
 * the right token from the console's own origin, it works. The table must cover every POST under /admin
 * but sign-in (read from the router), so a new form cannot be added without its checks.
 */
describe('console forms: CSRF and Origin on every form', () => {
  const entry: Record<string, unknown> = {};
  const stub = new StubProvider('stub', entry);
  let t: TestApp;
  let origin: string;

  beforeAll(async () => {
    await stub.start();
    // Read when stub.env writes PROVIDERS_FILE: the provider's whoami, so Verify has something to call.
    entry.userinfoUrl = `${stub.fake.url}/userinfo`;
    stub.fake.on('GET', '/userinfo', { json: { sub: 'account-1' } });
    t = await startTestApp({ env: { ...stub.env, ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0' } });
    origin = new URL(t.app.get<{ publicUrl: string }>(appConfig.KEY).publicUrl).origin;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await stub.stop();
  });

  const one = async (sql: string, params: unknown[]) =>
    (await t.dataSource.query<Record<string, unknown>[]>(sql, params))[0];
  const calls = (path: string) => stub.fake.requestsTo(path).length;

  async function connection(ownerId: string): Promise<string> {
    const res = await t.api
      .post('/connections')
      .send({ provider: 'stub', ownerId, accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 3600 })
      .expect(201);
    return res.body.id;
  }

  /** A connection's row as an action would change it (tokens, refresh and verification times, error). */
  const connectionRow = (id: string) =>
    one(
      `SELECT token_version, access_token, last_refreshed_at, last_verified_at, last_error, status FROM connections WHERE id = $1`,
      [id],
    );

  const redirectTo = (res: request.Response, location: string) => {
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(location);
  };

  const FORMS: Form[] = [
    {
      route: 'POST /admin/connections/:id/refresh',
      async prepare() {
        const id = await connection(`refresh-${randomUUID()}`);
        // The provider's answer for the one refresh that may happen: a refused post that reached it would show in the calls.
        stub.tokenAnswers.push(() => StubProvider.tokens('refreshed'));
        return {
          url: `/admin/connections/${id}/refresh`,
          state: async () => ({ tokenCalls: calls('/token'), row: await connectionRow(id) }),
        };
      },
      async accepted(res, target, before) {
        redirectTo(res, `${target.url.replace(/\/refresh$/, '')}?done=refreshed`);
        const after = (await target.state()) as { tokenCalls: number; row: Record<string, unknown> };
        expect(after.tokenCalls).toBe((before as typeof after).tokenCalls + 1);
        expect(after.row.token_version).not.toEqual((before as typeof after).row.token_version);
      },
    },
    {
      route: 'POST /admin/connections/:id/verify',
      async prepare() {
        const id = await connection(`verify-${randomUUID()}`);
        return {
          url: `/admin/connections/${id}/verify`,
          state: async () => ({ whoamiCalls: calls('/userinfo'), row: await connectionRow(id) }),
        };
      },
      async accepted(res, target, before) {
        redirectTo(res, `${target.url.replace(/\/verify$/, '')}?done=verified`);
        const after = (await target.state()) as { whoamiCalls: number; row: Record<string, unknown> };
        expect(after.whoamiCalls).toBe((before as typeof after).whoamiCalls + 1);
        expect(after.row.last_verified_at).not.toBeNull();
      },
    },
    {
      route: 'POST /admin/connections/:id/reconnect-link',
      async prepare() {
        const ownerId = `reconnect-${randomUUID()}`;
        const id = await connection(ownerId);
        return {
          url: `/admin/connections/${id}/reconnect-link`,
          state: async () => one(`SELECT count(*)::int AS n FROM connect_sessions WHERE owner_id = $1`, [ownerId]),
        };
      },
      async accepted(res, target) {
        expect(res.status).toBe(200);
        expect(res.text).toContain('A reconnect link was made');
        expect(await target.state()).toEqual({ n: 1 });
      },
    },
    {
      route: 'POST /admin/connections/:id/delete',
      async prepare() {
        const id = await connection(`delete-${randomUUID()}`);
        return {
          url: `/admin/connections/${id}/delete`,
          state: async () => ({
            row: await connectionRow(id),
            revocations: await one(`SELECT count(*)::int AS n FROM token_revocations`, []),
          }),
        };
      },
      async accepted(res, target) {
        expect(res.status).toBe(200);
        expect(res.text).toContain('The connection was deleted.');
        expect(((await target.state()) as { row: unknown }).row).toBeUndefined();
      },
    },
    {
      route: 'POST /admin/api-keys',
      fields: { name: 'made-by-a-form', scopes: 'connections:read' },
      async prepare() {
        await t.dataSource.query(`DELETE FROM api_keys WHERE name = 'made-by-a-form'`);
        return {
          url: '/admin/api-keys',
          state: () => one(`SELECT count(*)::int AS n FROM api_keys`, []),
        };
      },
      async accepted(res, target, before) {
        expect(res.status).toBe(200);
        expect(res.text).toContain('The key is created.');
        expect(await target.state()).toEqual({ n: (before as { n: number }).n + 1 });
        expect(await one(`SELECT scopes FROM api_keys WHERE name = 'made-by-a-form'`, [])).toBeDefined();
      },
    },
    {
      route: 'POST /admin/api-keys/:id/revoke',
      async prepare() {
        const key = await t.api
          .post('/api-keys')
          .send({ name: `revoked-by-a-form-${randomUUID().slice(0, 8)}`, scopes: ['connections:read'] })
          .expect(201);
        return {
          url: `/admin/api-keys/${key.body.id}/revoke`,
          state: async () => ({
            row: await one(`SELECT revoked_at FROM api_keys WHERE id = $1`, [key.body.id]),
            // The key itself still opens the API.
            api: (await t.anon.get('/connections').set('Authorization', `Bearer ${key.body.key}`)).status,
          }),
        };
      },
      async accepted(res, target) {
        redirectTo(res, '/admin/api-keys?done=revoked');
        const after = (await target.state()) as { row: { revoked_at: Date | null }; api: number };
        expect(after.row.revoked_at).not.toBeNull();
        expect(after.api).toBe(401);
      },
    },
    {
      route: 'POST /admin/webhooks/:id/redeliver',
      async prepare() {
        const id = randomUUID();
        await t.dataSource.query(
          `INSERT INTO webhook_deliveries (id, event_type, payload, status, attempts, next_attempt_at, last_status)
           VALUES ($1, 'connection.created', '{}', 'failed', 8, now() - interval '1 day', 500)`,
          [id],
        );
        return {
          url: `/admin/webhooks/${id}/redeliver`,
          state: () => one(`SELECT status, attempts, next_attempt_at FROM webhook_deliveries WHERE id = $1`, [id]),
        };
      },
      async accepted(res, target) {
        redirectTo(res, '/admin/webhooks?done=redelivered');
        expect(await target.state()).toMatchObject({ status: 'pending' });
      },
    },
    {
      route: 'POST /admin/sign-out',
      // Its target is the posting session itself (see below).
      async prepare() {
        return { url: '/admin/sign-out', state: async () => undefined };
      },
      async accepted(res) {
        redirectTo(res, '/admin/sign-in');
      },
    },
  ];

  const ATTACKS: Attack[] = [
    {
      name: 'no CSRF token',
      answer: 'forbidden',
      send: (post, fields) => post().type('form').send(fields),
    },
    {
      name: 'an empty CSRF token',
      answer: 'forbidden',
      send: (post, fields) =>
        post()
          .type('form')
          .send({ ...fields, _csrf: '' }),
    },
    {
      name: 'a made-up CSRF token',
      answer: 'forbidden',
      send: (post, fields, own) =>
        post()
          .type('form')
          .send({ ...fields, _csrf: `${own.csrf.slice(0, -2)}${own.csrf.endsWith('AA') ? 'BB' : 'AA'}` }),
    },
    {
      name: 'another session’s CSRF token',
      answer: 'forbidden',
      send: (post, fields, _own, other) =>
        post()
          .type('form')
          .send({ ...fields, _csrf: other.csrf }),
    },
    {
      name: 'the right token from a foreign Origin',
      answer: 'forbidden',
      send: (post, fields, own) =>
        post()
          .set('Origin', 'https://evil.example')
          .type('form')
          .send({ ...fields, _csrf: own.csrf }),
    },
    {
      name: 'the right token from an opaque Origin (null)',
      answer: 'forbidden',
      send: (post, fields, own) =>
        post()
          .set('Origin', 'null')
          .type('form')
          .send({ ...fields, _csrf: own.csrf }),
    },
    {
      name: 'the right token from the same host on another port',
      answer: 'forbidden',
      send: (post, fields, own) =>
        post()
          .set('Origin', `${new URL(origin).protocol}//${new URL(origin).hostname}:1`)
          .type('form')
          .send({ ...fields, _csrf: own.csrf }),
    },
    {
      name: 'the right token in a JSON body',
      answer: 'client-error',
      send: (post, fields, own) =>
        post()
          .set('Origin', origin)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ ...fields, _csrf: own.csrf })),
    },
    {
      name: 'the right token in a text/plain body (a form with enctype=text/plain)',
      answer: 'client-error',
      send: (post, fields, own) =>
        post()
          .set('Origin', origin)
          .set('Content-Type', 'text/plain')
          .send(new URLSearchParams({ ...fields, _csrf: own.csrf }).toString()),
    },
    {
      name: 'the right token in a multipart body',
      answer: 'client-error',
      send: (post, fields, own) => {
        let test = post().set('Origin', origin);
        for (const [name, value] of Object.entries({ ...fields, _csrf: own.csrf })) test = test.field(name, value);
        return test;
      },
    },
  ];

  it('covers every state-changing route of the console (the router’s POSTs under /admin but sign-in)', () => {
    const posts = routesOf(t.app)
      .filter((r) => r.path.startsWith('/admin') && r.path !== '/admin/sign-in')
      .flatMap((r) => r.methods.filter((m) => !['GET', 'HEAD'].includes(m)).map((m) => `${m} ${r.path}`));
    expect(posts.sort()).toEqual(FORMS.map((f) => f.route).sort());
  });

  describe.each(FORMS.map((form) => [form.route, form] as const))('%s', (_route, form) => {
    let own: ConsoleSession;
    let other: ConsoleSession;
    let target: Target;
    /** The session's own state: still signed in, and the sessions in the table. */
    const sessionState = async () => ({
      overview: (await t.anon.get('/admin').set('Cookie', own.cookie)).status,
      sessions: await one(`SELECT count(*)::int AS n FROM console_sessions`, []),
    });
    const state = async () => ({ target: await target.state(), session: await sessionState() });

    beforeAll(async () => {
      own = await consoleSignIn(t);
      other = await consoleSignIn(t);
      target = await form.prepare();
    });

    it.each(ATTACKS.map((attack) => [attack.name, attack] as const))(
      'refuses %s, and nothing changes',
      async (_name, attack) => {
        const before = await state();
        expect(before.session.overview).toBe(200);
        const post = () => t.anon.post(target.url).set('Cookie', own.cookie);
        const res = await attack.send(post, form.fields ?? {}, own, other);
        if (attack.answer === 'forbidden') {
          expect(res.status).toBe(403);
          expect(res.text).toContain('forbidden');
        } else {
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
        }
        expect(res.headers['set-cookie']).toBeUndefined();
        expect(await state()).toEqual(before);
      },
    );

    it('accepts the session’s token from the console’s own origin', async () => {
      const before = await target.state();
      const res = await t.anon
        .post(target.url)
        .set('Cookie', own.cookie)
        .set('Origin', origin)
        .type('form')
        .send({ ...(form.fields ?? {}), _csrf: own.csrf });
      await form.accepted(res, target, before);
      // The other session was never touched by any of it.
      await t.anon.get('/admin').set('Cookie', other.cookie).expect(200);
      if (form.route === 'POST /admin/sign-out')
        expect((await t.anon.get('/admin').set('Cookie', own.cookie)).status).toBe(303);
    });
  });
});
