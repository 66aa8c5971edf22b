import { createHash } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/app';
import { rawClient } from '../support/database';
import { simulatorTokens } from '../support/sandbox-flow';

/**
 * The slice of each provider's API the simulators serve under /sandbox/<provider>/api, over real
 * HTTP: the documented shapes with a valid token, 401 for an expired or revoked one, 429 on demand,
 * and objects a POST creates that the next GET returns.
 */

const REDIRECT = 'https://app.example/oauth/callback';
const sha256Hex = (v: string) => createHash('sha256').update(v).digest('hex');
const UA = { 'User-Agent': 'sandbox-api-test' };

type Res = request.Response;
type Tokens = Record<string, unknown> & { access_token: string };

/** Per provider: one call of its API slice, what a 200 looks like, and its 401 beyond RFC 6750's fields. */
const SLICE: Record<
  string,
  {
    call: (t: TestApp, tokens: Tokens) => request.Test;
    ok: (res: Res) => void;
    unauthorized: (res: Res) => void;
    rateLimited: (res: Res) => void;
  }
> = {
  keap: {
    call: (t, { access_token }) =>
      t.anon.get('/sandbox/keap/api/contacts').set('Authorization', `Bearer ${access_token}`),
    ok: (res) =>
      expect(res.body).toEqual({ contacts: expect.any(Array), count: expect.any(Number), next: null, previous: null }),
    unauthorized: (res) =>
      expect(res.body.fault).toEqual({
        faultstring: expect.any(String),
        detail: { errorcode: expect.stringMatching(/^keymanagement\.service\./) },
      }),
    rateLimited: (res) => expect(res.body).toEqual({ code: '429', message: 'Quota Exceeded' }),
  },
  clickfunnels: {
    call: (t, { access_token, workspace_url }) =>
      t.anon.get(new URL(workspace_url as string).pathname).set({ Authorization: `Bearer ${access_token}`, ...UA }),
    ok: (res) =>
      expect(res.body).toEqual({
        id: expect.any(Number),
        public_id: expect.any(String),
        team_id: expect.any(Number),
        name: expect.any(String),
        subdomain: expect.any(String),
        created_at: expect.any(String),
        updated_at: expect.any(String),
      }),
    unauthorized: () => undefined,
    rateLimited: (res) => expect(res.status).toBe(429),
  },
  'clickfunnels-classic': {
    call: (t, { access_token }) =>
      t.anon.get('/sandbox/clickfunnels-classic/api/funnels').set('Authorization', `Bearer ${access_token}`),
    ok: (res) => {
      expect(res.body).toHaveLength(2);
      for (const funnel of res.body)
        expect(funnel).toEqual({
          id: expect.any(Number),
          name: expect.any(String),
          user_id: expect.any(Number),
          created_at: expect.any(String),
          updated_at: expect.any(String),
        });
    },
    unauthorized: () => undefined,
    rateLimited: (res) => expect(res.status).toBe(429),
  },
  lightfunnels: {
    call: (t, { access_token }) =>
      t.anon
        .post('/sandbox/lightfunnels/api')
        .set('Authorization', `Bearer ${access_token}`)
        .send({ query: 'query { orders(first: 2) { edges { node { id } } } }' }),
    ok: (res) =>
      expect(res.body).toEqual({
        data: { orders: { edges: [{ node: { id: expect.any(String) } }, { node: { id: expect.any(String) } }] } },
      }),
    unauthorized: () => undefined,
    rateLimited: (res) => expect(res.status).toBe(429),
  },
  webflow: {
    call: (t, { access_token }) =>
      t.anon.get('/sandbox/webflow/api/sites').set('Authorization', `Bearer ${access_token}`),
    ok: (res) =>
      expect(res.body).toEqual({
        sites: [
          expect.objectContaining({
            id: expect.stringMatching(/^[0-9a-f]{24}$/),
            workspaceId: expect.stringMatching(/^[0-9a-f]{24}$/),
            displayName: expect.any(String),
            shortName: expect.any(String),
            createdOn: expect.any(String),
            customDomains: [],
          }),
        ],
      }),
    unauthorized: (res) =>
      expect(res.body).toMatchObject({ code: 'not_authorized', message: expect.any(String), details: [] }),
    rateLimited: (res) =>
      expect(res.body).toEqual({
        code: 'too_many_requests',
        message: expect.any(String),
        externalReference: null,
        details: [],
      }),
  },
};

const PROVIDERS = Object.keys(SLICE);

describe('Sandbox provider APIs (real app, real HTTP)', () => {
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
  afterEach(async () => {
    for (const p of PROVIDERS) await t.anon.delete(`/sandbox/${p}/faults`).expect(200);
  });

  const tokens = (provider: string, account?: string): Promise<Tokens> =>
    simulatorTokens(t, provider, REDIRECT, account);
  const calls = async (provider: string, query: Record<string, string> = {}) =>
    (await t.anon.get(`/sandbox/${provider}/calls`).query(query).expect(200)).body;

  describe.each(PROVIDERS)('%s', (provider) => {
    const slice = SLICE[provider];

    it('answers a valid token with the documented shape, and logs the call with its route', async () => {
      const res = await slice.call(t, await tokens(provider)).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      slice.ok(res);
      const [last] = (await calls(provider, { endpoint: 'api' })).slice(-1);
      expect(last).toMatchObject({ endpoint: 'api', route: expect.stringMatching(/^(GET|POST) \//), status: 200 });
      expect(last.grantId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers 401 invalid_token for an expired access token', async () => {
      const issued = await tokens(provider);
      await slice.call(t, issued).expect(200);
      await db.query(`UPDATE sandbox.tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
        sha256Hex(issued.access_token),
      ]);
      const res = await slice.call(t, issued).expect(401);
      expect(res.body).toMatchObject({ error: 'invalid_token', error_description: expect.stringMatching(/expired/) });
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      slice.unauthorized(res);
    });

    it('answers 401 invalid_token for a revoked access token, and for an unknown or missing one', async () => {
      const issued = await tokens(provider);
      await db.query(`UPDATE sandbox.tokens SET revoked_at = now() WHERE token_hash = $1`, [
        sha256Hex(issued.access_token),
      ]);
      const res = await slice.call(t, issued).expect(401);
      expect(res.body).toMatchObject({ error: 'invalid_token', error_description: expect.stringMatching(/revoked/) });
      slice.unauthorized(res);
      const unknown = { ...issued, access_token: `${issued.access_token}x` };
      expect((await slice.call(t, unknown).expect(401)).body.error).toBe('invalid_token');
      const log = await calls(provider, { endpoint: 'api' });
      expect(log.slice(-2).map((c: { status: number; error: string }) => `${c.status}:${c.error}`)).toEqual([
        '401:invalid_token',
        '401:invalid_token',
      ]);
    });

    it('an api fault answers 429 with Retry-After in the provider’s shape, once', async () => {
      const issued = await tokens(provider);
      await t.anon
        .post(`/sandbox/${provider}/faults`)
        .send({ endpoint: 'api', kind: 'rate_limit', retryAfter: 7 })
        .expect(201);
      const limited = await slice.call(t, issued).expect(429);
      expect(limited.headers['retry-after']).toBe('7');
      slice.rateLimited(limited);
      const [last] = (await calls(provider, { endpoint: 'api' })).slice(-1);
      expect(last).toMatchObject({ status: 429, error: 'fault:rate_limit' });
      await slice.call(t, issued).expect(200);
    });
  });

  describe('faults', () => {
    it('api faults hit the whoami calls too; whoami faults hit only the whoami calls', async () => {
      const { access_token } = await tokens('webflow');
      const auth = { Authorization: `Bearer ${access_token}` };
      const whoami = () => t.anon.get('/sandbox/webflow/api/token/authorized_by').set(auth);
      const sites = () => t.anon.get('/sandbox/webflow/api/sites').set(auth);
      await t.anon.post('/sandbox/webflow/faults').send({ endpoint: 'whoami', kind: 'status_503' }).expect(201);
      await sites().expect(200);
      await whoami().expect(503);
      await t.anon.post('/sandbox/webflow/faults').send({ endpoint: 'api', kind: 'invalid_token' }).expect(201);
      const refused = await whoami().expect(401);
      expect(refused.body).toMatchObject({ error: 'invalid_token', code: 'not_authorized' });
      await whoami().expect(200);
      const log = await calls('webflow');
      expect(log.slice(-4).map((c: { endpoint: string; status: number }) => `${c.endpoint}:${c.status}`)).toEqual([
        'api:200',
        'whoami:503',
        'whoami:401',
        'whoami:200',
      ]);
    });

    it('a slow api fault delays the answer', async () => {
      const issued = await tokens('clickfunnels-classic');
      await t.anon
        .post('/sandbox/clickfunnels-classic/faults')
        .send({ endpoint: 'api', kind: 'slow', delayMs: 300 })
        .expect(201);
      const started = Date.now();
      await SLICE['clickfunnels-classic'].call(t, issued).expect(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    });
  });

  describe('routing', () => {
    it('an unknown path or method is the app’s 404 and is not logged', async () => {
      const { access_token } = await tokens('keap');
      const before = (await calls('keap')).length;
      const auth = { Authorization: `Bearer ${access_token}` };
      await t.anon.get('/sandbox/keap/api/nothing-here').set(auth).expect(404);
      await t.anon.delete('/sandbox/keap/api/contacts').set(auth).expect(404);
      await t.anon.get('/sandbox/keap/api').set(auth).expect(404);
      await t.anon.get('/sandbox/lightfunnels/api').set(auth).expect(404);
      await t.anon.get('/sandbox/acme/api/contacts').set(auth).expect(404);
      expect(await calls('keap')).toHaveLength(before);
    });

    it('ignores a trailing slash and the case of the path, as the app’s router does, and answers HEAD', async () => {
      const { access_token } = await tokens('keap');
      const auth = { Authorization: `Bearer ${access_token}` };
      await t.anon.get('/sandbox/keap/api/contacts/').set(auth).expect(200);
      await t.anon.get('/sandbox/keap/api/OAuth/Connect/UserInfo').set(auth).expect(200);
      // HEAD as for any GET route: the headers, no body.
      const head = await t.anon.head('/sandbox/keap/api/contacts').set(auth).expect(200);
      expect(head.headers['content-type']).toMatch(/^application\/json/);
      expect(head.text ?? '').toBe('');
    });
  });

  describe('Keap contacts', () => {
    const contacts = (token: string) => ({
      list: (query: Record<string, string> = {}) =>
        t.anon.get('/sandbox/keap/api/contacts').query(query).set('Authorization', `Bearer ${token}`),
      create: (body: unknown) =>
        t.anon
          .post('/sandbox/keap/api/contacts')
          .set('Authorization', `Bearer ${token}`)
          .send(body as object),
    });

    it('POST creates a contact that GET lists, in the Keap app of the token only', async () => {
      const api = contacts((await tokens('keap', 'contacts-app')).access_token);
      const created = await api
        .create({
          given_name: 'Ada',
          family_name: 'Lovelace',
          email_addresses: [{ email: 'ada@example.com', field: 'EMAIL1' }],
        })
        .expect(201);
      expect(created.body).toMatchObject({
        id: expect.any(Number),
        given_name: 'Ada',
        family_name: 'Lovelace',
        email_addresses: [{ email: 'ada@example.com', field: 'EMAIL1' }],
        phone_numbers: [],
        date_created: expect.any(String),
      });
      const list = await api.list().expect(200);
      expect(list.body.contacts).toContainEqual(created.body);
      expect(list.body.count).toBe(list.body.contacts.length);
      // The same app, through another grant, sees it; another app does not.
      const again = contacts((await tokens('keap', 'contacts-app')).access_token);
      expect((await again.list().expect(200)).body.contacts).toContainEqual(created.body);
      const other = contacts((await tokens('keap', 'another-app')).access_token);
      expect((await other.list().expect(200)).body.contacts).not.toContainEqual(created.body);
    });

    it('pages with limit and offset, with next and previous links', async () => {
      const api = contacts((await tokens('keap', 'paging-app')).access_token);
      for (const n of [1, 2, 3])
        await api.create({ phone_numbers: [{ number: `+1555000000${n}`, field: 'PHONE1' }] }).expect(201);
      const first = (await api.list({ limit: '2' }).expect(200)).body;
      expect(first).toMatchObject({ count: 3, previous: null });
      expect(first.contacts).toHaveLength(2);
      const next = new URL(first.next);
      expect(next.pathname).toBe('/sandbox/keap/api/contacts/');
      expect(Object.fromEntries(next.searchParams)).toEqual({ limit: '2', offset: '2' });
      const second = (await api.list({ limit: '2', offset: '2' }).expect(200)).body;
      expect(second.contacts).toHaveLength(1);
      expect(second.next).toBeNull();
      expect(second.previous).toMatch(/offset=0$/);
      expect((await api.list({ limit: '0' }).expect(400)).body).toEqual({ message: expect.any(String) });
    });

    it('refuses a contact without an email address or phone number, or with a malformed one', async () => {
      const api = contacts((await tokens('keap')).access_token);
      expect((await api.create({ given_name: 'Nobody' }).expect(400)).body).toEqual({
        message: expect.stringMatching(/email address or phone number/),
      });
      await api.create({ email_addresses: [{ email: 'not-an-address', field: 'EMAIL1' }] }).expect(400);
      await api.create({ email_addresses: [{ email: 'a@example.com', field: 'HOME' }] }).expect(400);
      await api.create({ email_addresses: 'a@example.com' }).expect(400);
      await t.anon
        .post('/sandbox/keap/api/contacts')
        .set('Authorization', `Bearer ${(await tokens('keap')).access_token}`)
        .type('form')
        .send({ given_name: 'Form' })
        .expect(400);
    });
  });

  describe('ClickFunnels 2.0 workspace contacts', () => {
    it('POST creates a contact in the token’s workspace that GET lists; other workspaces are 404', async () => {
      const body = await tokens('clickfunnels', 'acme/contacts');
      const auth = { Authorization: `Bearer ${body.access_token}`, ...UA };
      const base = new URL(body.workspace_url as string).pathname;
      const created = await t.anon
        .post(`${base}/contacts`)
        .set(auth)
        .send({ contact: { email_address: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper' } })
        .expect(201);
      expect(created.body).toMatchObject({
        id: expect.any(Number),
        public_id: expect.stringMatching(/^[0-9a-f]{6}$/),
        workspace_id: body.workspace_id,
        email_address: 'grace@example.com',
        first_name: 'Grace',
        last_name: 'Hopper',
        phone_number: null,
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        tags: [],
        custom_attributes: {},
      });
      const list = await t.anon.get(`${base}/contacts`).set(auth).expect(200);
      expect(list.body).toContainEqual(created.body);
      expect(list.headers['pagination-next']).toBeUndefined();

      const other = `/sandbox/clickfunnels/api/workspaces/${Number(body.workspace_id) + 1}`;
      expect((await t.anon.get(`${other}/contacts`).set(auth).expect(404)).body).toEqual({
        error: expect.stringMatching(/^Not found/),
      });
      await t.anon.get(other).set(auth).expect(404);
      await t.anon
        .post(`${other}/contacts`)
        .set(auth)
        .send({ contact: { email_address: 'x@example.com' } })
        .expect(404);
    });

    it('validates the contact, requires a User-Agent, and pages 20 at a time with Pagination-Next', async () => {
      const body = await tokens('clickfunnels', 'acme/paging');
      const auth = { Authorization: `Bearer ${body.access_token}`, ...UA };
      const contacts = `${new URL(body.workspace_url as string).pathname}/contacts`;
      expect((await t.anon.post(contacts).set(auth).send({ email_address: 'x@example.com' }).expect(400)).body).toEqual(
        { error: expect.any(String) },
      );
      expect(
        (
          await t.anon
            .post(contacts)
            .set(auth)
            .send({ contact: { first_name: 'No mail' } })
            .expect(422)
        ).body,
      ).toEqual({ error: expect.stringMatching(/Email address/) });
      await t.anon
        .post(contacts)
        .set(auth)
        .send({ contact: { email_address: 'bad' } })
        .expect(422);
      const noAgent = await t.anon
        .get(contacts)
        .set('Authorization', `Bearer ${body.access_token}`)
        .unset('User-Agent')
        .expect(403);
      expect(noAgent.body.error).toBe('forbidden');

      for (let i = 0; i < 21; i++)
        await t.anon
          .post(contacts)
          .set(auth)
          .send({ contact: { email_address: `c${i}@example.com` } })
          .expect(201);
      const page = await t.anon.get(contacts).set(auth).expect(200);
      expect(page.body).toHaveLength(20);
      expect(page.headers['pagination-next']).toBe(String(page.body[19].id));
      expect(page.headers.link).toContain(`after=${page.body[19].id}`);
      const rest = await t.anon.get(contacts).query({ after: page.headers['pagination-next'] }).set(auth).expect(200);
      expect(rest.body.map((c: { email_address: string }) => c.email_address)).toEqual(['c20@example.com']);
    });

    it('a revoked grant (RFC 7009 revoke) gets 401 on the contacts too', async () => {
      const body = await tokens('clickfunnels');
      const auth = { Authorization: `Bearer ${body.access_token}`, ...UA };
      const contacts = `${new URL(body.workspace_url as string).pathname}/contacts`;
      await t.anon.get(contacts).set(auth).expect(200);
      await t.anon
        .post('/sandbox/clickfunnels/revoke')
        .type('form')
        .send({
          client_id: 'sandbox-clickfunnels',
          client_secret: 'sandbox-secret-clickfunnels',
          token: body.access_token,
        })
        .expect(200);
      expect((await t.anon.get(contacts).set(auth).expect(401)).body.error).toBe('invalid_token');
    });
  });

  describe('Lightfunnels GraphQL', () => {
    const gql = (token: string, query: string, variables?: Record<string, unknown>) =>
      t.anon
        .post('/sandbox/lightfunnels/api')
        .set('Authorization', `Bearer ${token}`)
        .send({ query, ...(variables && { variables }) });

    it('answers the account query (logged as whoami) and pages orders (logged as api)', async () => {
      const { access_token } = await tokens('lightfunnels', 'shop-two');
      const account = await gql(access_token, 'query { account { id name } }').expect(200);
      expect(account.body).toEqual({ data: { account: { id: expect.stringMatching(/^\d+$/), name: 'Shop Two' } } });
      const page = await gql(
        access_token,
        'query Orders($first: Int) { orders(first: $first) { edges { cursor node { id _id name total } } pageInfo { hasNextPage endCursor } } }',
        { first: 2 },
      ).expect(200);
      const { edges, pageInfo } = page.body.data.orders;
      expect(edges).toHaveLength(2);
      expect(edges[0].node).toEqual({
        id: expect.any(String),
        _id: expect.any(Number),
        name: expect.stringMatching(/^#\d+$/),
        total: expect.any(Number),
      });
      expect(pageInfo).toEqual({ hasNextPage: true, endCursor: edges[1].cursor });
      const rest = await gql(
        access_token,
        `{ orders(first: 10, after: "${pageInfo.endCursor}") { edges { node { id } } pageInfo { hasNextPage } } }`,
      ).expect(200);
      expect(rest.body.data.orders.edges).toHaveLength(1);
      expect(rest.body.data.orders.pageInfo.hasNextPage).toBe(false);
      const ids = [...edges, ...rest.body.data.orders.edges].map((e: { node: { id: string } }) => e.node.id);
      expect(new Set(ids).size).toBe(3);
      const log = await calls('lightfunnels');
      expect(log.slice(-3).map((c: { endpoint: string }) => c.endpoint)).toEqual(['whoami', 'api', 'api']);
    });

    it('answers what it cannot with GraphQL errors (400)', async () => {
      const { access_token } = await tokens('lightfunnels');
      for (const query of [
        '{ account { secret } }',
        '{ shop { id } }',
        '{ orders(first: 1000) { edges { node { id } } } }',
        '{ orders(first: 1) { edges } }',
        'mutation { createOrder { id } }',
        '{ account { id }',
      ]) {
        const res = await gql(access_token, query).expect(400);
        expect(res.body).toEqual({ errors: [{ message: expect.any(String) }] });
      }
      await t.anon
        .post('/sandbox/lightfunnels/api')
        .set('Authorization', `Bearer ${access_token}`)
        .send({})
        .expect(400);
    });
  });

  describe('Webflow and ClickFunnels Classic', () => {
    it('Webflow: the site is in the workspace the token is authorized for', async () => {
      const { access_token } = await tokens('webflow', 'dora');
      const auth = { Authorization: `Bearer ${access_token}` };
      const sites = await t.anon.get('/sandbox/webflow/api/sites').set(auth).expect(200);
      const intro = await t.anon.get('/sandbox/webflow/api/token/introspect').set(auth).expect(200);
      expect(sites.body.sites[0].workspaceId).toBe(intro.body.authorization.authorizedTo.workspaceIds[0]);
      expect(sites.body.sites[0].displayName).toBe("Dora's Site");
      // Revoked with Webflow's own endpoint: the site list is refused too.
      await t.anon
        .post('/sandbox/webflow/revoke')
        .send({ client_id: 'sandbox-webflow', client_secret: 'sandbox-secret-webflow', access_token })
        .expect(200);
      await t.anon.get('/sandbox/webflow/api/sites').set(auth).expect(401);
    });

    it('ClickFunnels Classic: the same user always has the same funnels', async () => {
      const list = async (account: string) =>
        (await SLICE['clickfunnels-classic'].call(t, await tokens('clickfunnels-classic', account)).expect(200)).body;
      const a = await list('erin');
      expect(await list('erin')).toEqual(a);
      expect((await list('frank'))[0].id).not.toBe(a[0].id);
    });
  });
});
