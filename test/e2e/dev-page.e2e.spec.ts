import { tokenContext } from '../../src/connections/token-context';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { Readable } from 'node:stream';
import { freePort } from '../../src/database/embedded-postgres';
import { readAnswer, SHOWN_BYTES } from '../../src/dev/page/api-answer';
import { DEMO_OWNER } from '../../src/dev/page/dev.controller';
import type { ProxyAnswer } from '../../src/proxy/proxy.service';
import { startTestApp, TestApp } from '../support/app';
import { addFault, clearSandbox, connectThroughSandbox, refreshCalls, unescapeHtml } from '../support/sandbox-flow';

/** What the page shows of a call: the provider's status and answer (JSON parsed), or the service's error. */
function shownCall(html: string): { status?: number; answer?: unknown; error?: string } {
  const status = /<strong id="call-status">(\d+)<\/strong>/.exec(html)?.[1];
  const answer = /<pre id="call-answer">([^<]*)<\/pre>/.exec(html)?.[1];
  const error = /<p class="err" id="call-error">([^]*?)<\/p>/.exec(html)?.[1];
  return {
    ...(status !== undefined && { status: Number(status) }),
    ...(answer !== undefined && { answer: JSON.parse(unescapeHtml(answer)) as unknown }),
    ...(error !== undefined && { error: unescapeHtml(error.replace(/<[^>]+>/g, '')) }),
  };
}

/** Per provider: what its sample call's answer looks like in the sandbox. */
const ANSWERS: Record<string, unknown> = {
  keap: { contacts: expect.any(Array), count: expect.any(Number), next: null, previous: null },
  'clickfunnels-classic': [
    expect.objectContaining({ id: expect.any(Number), name: expect.any(String) }),
    expect.objectContaining({ id: expect.any(Number), name: expect.any(String) }),
  ],
  webflow: { sites: [expect.objectContaining({ id: expect.stringMatching(/^[0-9a-f]{24}$/) })] },
  lightfunnels: {
    data: {
      orders: { edges: expect.arrayContaining([{ node: expect.objectContaining({ id: expect.any(String) }) }]) },
    },
  },
  clickfunnels: expect.objectContaining({ id: expect.any(Number), subdomain: expect.any(String) }),
};

/**
 * The development page's "Call the API" (POST /dev/connections/{id}/call): one sample call of each
 * provider's API slice through the proxy, the provider's status and answer rendered on the page, never
 * a token; only the demo owner's connections, only from the page's own origin.
 */
describe('development page: Call the API', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ port: await freePort() });
  }, 60_000);
  afterAll(() => t?.close());

  /** The connection's tokens as stored (decrypted): the access token, and the refresh token if any. */
  async function storedTokens(id: string): Promise<string[]> {
    const [row] = await t.dataSource.query('SELECT access_token, refresh_token FROM connections WHERE id = $1', [id]);
    const cipher = t.app.get(TokenCipher);
    return [
      cipher.decrypt(row.access_token, tokenContext(id, 'access_token')),
      ...(row.refresh_token ? [cipher.decrypt(row.refresh_token, tokenContext(id, 'refresh_token'))] : []),
    ];
  }

  const call = (id: string, origin: string | null = t.baseUrl) => {
    const req = t.anon.post(`/dev/connections/${id}/call`).type('form').send('');
    return origin === null ? req : req.set('Origin', origin);
  };

  it.each(Object.keys(ANSWERS))(
    '%s: the sample call answers 200 with the provider JSON, and no token is on the page',
    async (provider) => {
      const id = await connectThroughSandbox(t, provider, DEMO_OWNER, `dev-${provider}`);
      const res = await call(id).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      // No script may run on the page (the HTTP layer adds frame-ancestors).
      expect(res.headers['content-security-policy']).toMatch(
        /^default-src 'none'; style-src 'unsafe-inline'; form-action 'self'(;|$)/,
      );
      expect(res.headers['cache-control']).toBe('no-store');
      // Else browsers would send `Origin: null` on the next form post from this page, which is refused.
      expect(res.headers['referrer-policy']).toBe('same-origin');
      expect(shownCall(res.text)).toEqual({ status: 200, answer: ANSWERS[provider] });
      // The page still lists the connections, the called one highlighted, each with its button.
      expect(res.text).toContain(`<tr data-connection-id="${id}" class="new">`);
      expect(res.text).toContain(`id="call-${id}"`);
      const tokens = await storedTokens(id);
      expect(tokens).toHaveLength(provider === 'keap' || provider === 'clickfunnels-classic' ? 2 : 1);
      for (const token of tokens) expect(res.text).not.toContain(token);
    },
  );

  it("escapes the provider's answer", async () => {
    const id = await connectThroughSandbox(t, 'keap', DEMO_OWNER, 'dev-escape');
    await t.api
      .post(`/proxy/${id}/contacts`)
      .send({
        given_name: '<script>alert("x")</script>',
        email_addresses: [{ email: 'x@example.com', field: 'EMAIL1' }],
      })
      .expect(201);
    const res = await call(id).expect(200);
    expect(res.text).not.toContain('<script');
    expect(res.text).toContain('&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;');
    const shown = shownCall(res.text) as { answer: { contacts: { given_name: string }[] } };
    expect(shown.answer.contacts.map((c) => c.given_name)).toEqual(['<script>alert("x")</script>']);
  });

  it("renews the token on the provider's 401 and shows the answer of the replay", async () => {
    const id = await connectThroughSandbox(t, 'keap', DEMO_OWNER, 'dev-renew');
    await clearSandbox(t, 'keap');
    await addFault(t, 'keap', { endpoint: 'api', kind: 'invalid_token', remaining: 1 });
    const res = await call(id).expect(200);
    expect(shownCall(res.text)).toEqual({ status: 200, answer: ANSWERS.keap });
    expect((await refreshCalls(t, 'keap')).filter((c) => c.status === 200)).toHaveLength(1);
  });

  it("shows the provider's error status and body as they came", async () => {
    const id = await connectThroughSandbox(t, 'webflow', DEMO_OWNER, 'dev-fault');
    await addFault(t, 'webflow', { endpoint: 'api', kind: 'rate_limit', retryAfter: '7' });
    const res = await call(id).expect(200);
    expect(shownCall(res.text)).toEqual({
      status: 429,
      answer: expect.objectContaining({ code: 'too_many_requests' }),
    });
    await clearSandbox(t, 'webflow');
  });

  it("shows the service's error when no call can be made (a connection that needs its user again)", async () => {
    const id = await connectThroughSandbox(t, 'webflow', DEMO_OWNER, 'dev-reauth');
    await t.dataSource.query(`UPDATE connections SET status = 'needs_reauth' WHERE id = $1`, [id]);
    const res = await call(id).expect(200);
    expect(shownCall(res.text)).toEqual({ error: expect.stringContaining('connection_needs_reauth') });
  });

  it("answers 404 for another owner's connection and for an unknown one, 400 for a malformed id", async () => {
    const other = await connectThroughSandbox(t, 'keap', 'someone-else');
    expect((await call(other).expect(404)).body.code).toBe('connection_not_found');
    await call('0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70').expect(404);
    await call('not-a-uuid').expect(400);
  });

  it('refuses cross-site posts (403) before looking at the connection; a post without Origin is taken', async () => {
    const id = await connectThroughSandbox(t, 'keap', DEMO_OWNER, 'dev-origin');
    const refused = await call(id, 'https://evil.example').expect(403);
    expect(refused.text).toBe('Forbidden: cross-site request');
    await call('0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70', 'https://evil.example').expect(403);
    await call(id, 'null').expect(403);
    await call(id, null).expect(200);
  });
});

describe('what the page shows of an answer (readAnswer)', () => {
  const answer = (body: ProxyAnswer['body'], contentType = 'application/json'): ProxyAnswer => ({
    status: 200,
    headers: { 'content-type': contentType },
    body,
  });
  const stream = (chunks: string[]) =>
    Readable.from(chunks.map((c) => Buffer.from(c))) as unknown as ProxyAnswer['body'];

  it('pretty-prints JSON and hides string fields named like secrets', async () => {
    const body = { access_token: 'AT', nested: { clientSecret: 's', refresh_token: 'r', tokens: 3 }, name: 'x' };
    const shown = await readAnswer(answer(Buffer.from(JSON.stringify(body))));
    expect(shown).toMatchObject({ contentType: 'application/json', truncated: false });
    expect(shown.body).toBe(
      JSON.stringify(
        {
          access_token: '[hidden]',
          nested: { clientSecret: '[hidden]', refresh_token: '[hidden]', tokens: 3 },
          name: 'x',
        },
        null,
        2,
      ),
    );
  });

  it('shows other answers as text, and a long one shortened, with secret-looking members still hidden', async () => {
    expect((await readAnswer(answer(stream(['plain ', 'text']), 'text/plain'))).body).toBe('plain text');
    const long = JSON.stringify({ id_token: 'IDT', filler: 'x'.repeat(SHOWN_BYTES) });
    const shown = await readAnswer(answer(stream([long.slice(0, 1000), long.slice(1000)])));
    expect(shown.truncated).toBe(true);
    expect(Buffer.byteLength(shown.body)).toBeLessThanOrEqual(SHOWN_BYTES + '[hidden]'.length);
    expect(shown.body.startsWith('{"id_token":"[hidden]","filler":"xxx')).toBe(true);
  });
});
