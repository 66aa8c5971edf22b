import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { FakeProvider } from '../support/fake-provider';
import { startTestApp, TEST_API_KEY, TestApp } from '../support/app';
import { rawRequest } from '../support/raw-http';

/**
 * The whole app under a production configuration (NODE_ENV=production): the proxy's private-address
 * guard is on because the configuration says so, and a provider's API on a private address is called
 * only when `<P>_ALLOW_PRIVATE_API_HOST=true` allows its configured host; what that host resolves to
 * allows nothing.
 */
describe('proxy in production: private provider hosts only by configuration', () => {
  const tokens = new FakeProvider();
  const seen: string[] = [];
  let api: http.Server;
  let port = 0;
  let t: TestApp;

  beforeAll(async () => {
    await tokens.start();
    api = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    port = (api.address() as AddressInfo).port;
    const provider = (prefix: string, apiBase: string) => ({
      [`${prefix}_CLIENT_ID`]: 'cid',
      [`${prefix}_CLIENT_SECRET`]: 'csecret',
      [`${prefix}_AUTHORIZE_URL`]: `${tokens.url}/authorize`,
      [`${prefix}_TOKEN_URL`]: `${tokens.url}/token`,
      [`${prefix}_API_BASE_URL`]: apiBase,
    });
    t = await startTestApp({
      env: {
        NODE_ENV: 'production',
        SANDBOX: 'false',
        // Allowed: its configured host is on a loopback address, and the operator said so.
        ...provider('KEAP', `http://127.0.0.1:${port}/keap`),
        KEAP_ALLOW_PRIVATE_API_HOST: 'true',
        // The same address, not allowed.
        ...provider('WEBFLOW', `http://127.0.0.1:${port}/webflow`),
        // A name that resolves to a loopback address, not allowed: DNS grants nothing.
        ...provider('CLICKFUNNELS_CLASSIC', `http://localhost:${port}/classic`),
        CLICKFUNNELS_CLASSIC_ALLOW_PRIVATE_API_HOST: 'false',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => api?.close(() => resolve()));
    await tokens.stop();
  });
  beforeEach(() => {
    seen.length = 0;
  });

  async function connection(provider: string): Promise<string> {
    const res = await t.api
      .post('/connections')
      .send({
        provider,
        ownerId: `owner-${provider}`,
        accountId: `account-${provider}`,
        accessToken: 'AT',
        refreshToken: 'RT',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      })
      .expect(201);
    return res.body.id as string;
  }

  const get = (id: string) =>
    rawRequest(t.baseUrl, 'GET', `/proxy/${id}/contacts`, { Authorization: `Bearer ${TEST_API_KEY}` });

  it('calls the provider whose private API host KEAP_ALLOW_PRIVATE_API_HOST=true allows', async () => {
    const res = await get(await connection('keap'));
    expect([res.status, res.body]).toEqual([200, { ok: true }]);
    expect(seen).toEqual(['/keap/contacts']);
  });

  it('refuses a provider on the same private address without the setting: 502 proxy_target_not_allowed, no call', async () => {
    const res = await get(await connection('webflow'));
    expect([res.status, res.body.code]).toEqual([502, 'proxy_target_not_allowed']);
    expect(res.headers['proxy-status']).toBeUndefined();
    expect(seen).toEqual([]);
  });

  it('refuses a configured name that resolves to a private address (localhost) without the setting: the DNS answer allows nothing', async () => {
    const res = await get(await connection('clickfunnels-classic'));
    expect([res.status, res.body.code]).toEqual([502, 'proxy_target_not_allowed']);
    expect(seen).toEqual([]);
  });
});
