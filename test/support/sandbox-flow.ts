import { createHash } from 'node:crypto';
import request from 'supertest';
import { tokenContext } from '../../src/connections/token-context';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { HttpClientOf as TestApp, TestApp as InProcessApp } from './app';

/** The `name=value` parts of Set-Cookie headers, ready for a Cookie header. */
export function cookiesOf(res: { headers: Record<string, unknown> }): string {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  return list.map((c: string) => c.split(';')[0]).join('; ');
}

/**
 * A user connecting through the sandbox without a browser: connect session → authorize redirect →
 * the simulator's consent form (approve) → callback. The app must run with PUBLIC_URL = its own URL.
 * Returns the new connection's id.
 */
export async function connectThroughSandbox(
  t: TestApp,
  provider: string,
  ownerId: string,
  account = ownerId,
): Promise<string> {
  const created = await t.api.post('/connect-sessions').send({ provider, ownerId }).expect(201);
  const link = new URL(created.body.url);
  const authorize = await t.anon.get(`${link.pathname}${link.search}`).redirects(0).expect(302);
  const cookie = cookiesOf(authorize);
  const consentUrl = new URL(authorize.headers.location);
  const form: Record<string, string> = { ...Object.fromEntries(consentUrl.searchParams), decision: 'approve', account };
  const consent = await request(t.baseUrl).post(`/sandbox/${provider}/consent`).type('form').send(form).redirects(0);
  if (consent.status !== 302)
    throw new Error(
      `consent refused (base ${t.baseUrl}, redirect_uri ${form.redirect_uri}): ${consent.status} ${consent.text
        .replace(/<style[^]*<\/style>/, '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .slice(0, 400)}`,
    );
  const callback = new URL(consent.headers.location);
  const done = await t.anon
    .get(`${callback.pathname}${callback.search}`)
    .set('Cookie', cookie)
    .redirects(0)
    .expect(200);
  const match = /id="connection-id">([0-9a-f-]{36})</.exec(done.text);
  if (!match) throw new Error(`flow did not connect: ${done.text.slice(0, 500)}`);
  return match[1];
}

/** Refresh calls the simulator answered for a provider (optionally since a call id). */
export async function refreshCalls(
  t: TestApp,
  provider: string,
): Promise<{ id: number; grantId: string | null; status: number; error: string | null }[]> {
  const res = await request(t.baseUrl)
    .get(`/sandbox/${provider}/calls`)
    .query({ endpoint: 'token', grantType: 'refresh_token' })
    .expect(200);
  return res.body;
}

export async function addFault(t: TestApp, provider: string, fault: Record<string, unknown>): Promise<void> {
  await request(t.baseUrl).post(`/sandbox/${provider}/faults`).send(fault).expect(201);
}

export async function clearSandbox(t: TestApp, provider: string): Promise<void> {
  await request(t.baseUrl).delete(`/sandbox/${provider}/faults`).expect(200);
  await request(t.baseUrl).delete(`/sandbox/${provider}/calls`).expect(200);
}

/** The authorize query each provider module sends (docs/providers.md), without state. */
const SIMULATOR_AUTHORIZE: Record<string, (redirectUri: string) => Record<string, string>> = {
  keap: (redirect_uri) => ({ client_id: 'sandbox-keap', redirect_uri, response_type: 'code', scope: 'full' }),
  clickfunnels: (redirect_uri) => ({
    client_id: 'sandbox-clickfunnels',
    grant_type: 'authorization_code',
    redirect_uri,
    response_type: 'code',
    new_installation: 'true',
  }),
  'clickfunnels-classic': (redirect_uri) => ({
    client_id: 'sandbox-clickfunnels-classic',
    redirect_uri,
    response_type: 'code',
  }),
  lightfunnels: (redirect_uri) => ({ client_id: 'sandbox-lightfunnels', redirect_uri, scope: 'orders,products' }),
  webflow: (redirect_uri) => ({
    client_id: 'sandbox-webflow',
    redirect_uri,
    response_type: 'code',
    scope: 'authorized_user:read sites:read',
  }),
};

/** The text of an HTML-escaped string (attribute values and text the app escaped). */
export const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/**
 * A token straight from a simulator, as a provider module would get it: the authorize page, its
 * consent form approved for `account`, then the token call in the provider's wire format. The
 * redirect URI must be on the app's PUBLIC_URL. Returns the token endpoint's answer.
 */
export async function simulatorTokens(
  t: Pick<TestApp, 'baseUrl'>,
  provider: string,
  redirectUri: string,
  account = 'demo',
): Promise<Record<string, unknown> & { access_token: string }> {
  const page = await request(t.baseUrl)
    .get(`/sandbox/${provider}/authorize`)
    .query(SIMULATOR_AUTHORIZE[provider](redirectUri))
    .expect(200);
  const hidden: Record<string, string> = {};
  for (const m of page.text.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    hidden[unescapeHtml(m[1])] = unescapeHtml(m[2]);
  const consent = await request(t.baseUrl)
    .post(`/sandbox/${provider}/consent`)
    .type('form')
    .send({ ...hidden, decision: 'approve', account })
    .expect(302);
  const code = new URL(consent.headers.location).searchParams.get('code') as string;
  const client = { client_id: `sandbox-${provider}`, client_secret: `sandbox-secret-${provider}` };
  const token = request(t.baseUrl).post(`/sandbox/${provider}/token`);
  const res =
    provider === 'lightfunnels'
      ? await token.send({ ...client, code })
      : await (provider === 'keap' ? token.type('form') : token).send({
          ...client,
          code,
          grant_type: 'authorization_code',
          redirect_uri: redirectUri,
        });
  if (res.status !== 200) throw new Error(`${provider} token call answered ${res.status}: ${res.text}`);
  return res.body;
}

/** A query function: a DataSource's `query`, or `queryOf(pgClient)`. */
export type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export const queryOf =
  (client: { query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> }): Query =>
  async (sql, params) =>
    (await client.query(sql, params)).rows;

/**
 * True once every fault added for `provider` has been taken by a call. For a `slow` fault that means
 * the call has reached the simulator and is being held there right now.
 */
export async function faultsTaken(query: Query, provider: string): Promise<boolean> {
  const rows = await query(`SELECT count(*)::int AS n FROM sandbox.faults WHERE provider = $1 AND remaining > 0`, [
    provider,
  ]);
  return rows[0].n === 0;
}

/**
 * The simulator grant behind a connection's stored refresh token, and whether that token is still the
 * live one (not rotated away, not revoked): a rotating provider accepts only a live one.
 */
export async function storedGrant(
  t: Pick<InProcessApp, 'app' | 'dataSource'>,
  connectionId: string,
): Promise<{ grantId: string; live: boolean }> {
  const [row] = await t.dataSource.query('SELECT refresh_token FROM connections WHERE id = $1', [connectionId]);
  const token = t.app.get(TokenCipher).decrypt(row.refresh_token, tokenContext(connectionId, 'refresh_token'));
  const hash = createHash('sha256').update(token).digest('hex');
  const [found] = await t.dataSource.query(
    'SELECT grant_id, used_at, revoked_at FROM sandbox.tokens WHERE token_hash = $1',
    [hash],
  );
  if (!found) throw new Error(`the stored refresh token of ${connectionId} is unknown to the simulator`);
  return { grantId: found.grant_id, live: found.used_at === null && found.revoked_at === null };
}
