import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser } from 'playwright-core';
import { tokenContext } from '../../src/connections/token-context';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TestApp } from '../support/app';
import { launchBrowser } from '../support/browser';

const CLIENT_ID = 'acme-client';
const CLIENT_SECRET = 'acme-secret-0123456789abcdef';

async function startOidcServer(port: number, redirectUri: string): Promise<{ child: ChildProcess; issuer: string }> {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, '..', 'support', 'oidc-server.mjs'), String(port), redirectUri, CLIENT_ID, CLIENT_SECRET],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`oidc-provider did not start:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`oidc-provider exited (${code}):\n${out}`)));
  });
  return { child, issuer };
}

describe('a generic provider from PROVIDERS_FILE against a strict authorization server (oidc-provider), in a real browser', () => {
  let t: TestApp;
  let oidc: { child: ChildProcess; issuer: string };
  let browser: Browser;
  let providersFile: string;

  beforeAll(async () => {
    const port = await freePort();
    oidc = await startOidcServer(await freePort(), `http://127.0.0.1:${port}/oauth/acme/callback`);
    providersFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'providers-')), 'providers.json');
    fs.writeFileSync(
      providersFile,
      JSON.stringify([
        {
          name: 'acme',
          displayName: 'Acme CRM',
          authorizeUrl: `${oidc.issuer}/auth`,
          tokenUrl: `${oidc.issuer}/token`,
          revokeUrl: `${oidc.issuer}/token/revocation`,
          userinfoUrl: `${oidc.issuer}/me`,
          scopes: ['openid', 'offline_access', 'email'],
          scopeSeparator: ' ',
          clientAuth: 'client_secret_basic',
          pkce: true,
          accountIdField: 'sub',
        },
      ]),
    );
    t = await startTestApp({
      port,
      env: {
        PROVIDERS_FILE: providersFile,
        ACME_CLIENT_ID: CLIENT_ID,
        ACME_CLIENT_SECRET: CLIENT_SECRET,
        ALLOWED_RETURN_URLS: `http://127.0.0.1:${port}/done`,
      },
    });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    oidc?.child.kill();
    fs.rmSync(path.dirname(providersFile), { recursive: true, force: true });
  });

  const whoami = (token: string) => fetch(`${oidc.issuer}/me`, { headers: { Authorization: `Bearer ${token}` } });
  /** A refresh straight at the server (as the client), to see whether a refresh token still works there. */
  async function refreshAtServer(refreshToken: string): Promise<{ status: number; error?: string }> {
    const res = await fetch(`${oidc.issuer}/token`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    });
    return { status: res.status, error: ((await res.json()) as { error?: string }).error };
  }

  it('connects through login and consent, stores a working token, and refreshes (with rotation) and revokes through the REST API', async () => {
    const listed = await t.api.get('/providers').expect(200);
    expect(listed.body.data).toEqual([
      {
        name: 'acme',
        displayName: 'Acme CRM',
        supports: { refresh: true, revoke: true, pkce: true, verify: true },
        defaultScopes: ['openid', 'offline_access', 'email'],
        sandbox: false,
        // A PROVIDERS_FILE provider has no events of its own to subscribe to.
        events: { names: [], oneEventPerSubscription: false, reportsUninstall: false, uninstallEvent: null },
      },
    ]);

    const session = await t.api
      .post('/connect-sessions')
      .send({ provider: 'acme', ownerId: 'owner-acme', returnUrl: `${t.baseUrl}/done` })
      .expect(201);
    const page = await browser.newPage();
    try {
      await page.goto(session.body.url);
      // oidc-provider's development login and consent screens.
      await page.fill('input[name="login"]', 'alice');
      await page.fill('input[name="password"]', 'any');
      await page.click('button[type="submit"]');
      await page.click('button[type="submit"]');
      await page.waitForURL(/\/done\?/);
      const landed = new URL(page.url());
      expect(landed.searchParams.get('status')).toBe('connected');
      const id = landed.searchParams.get('connectionId')!;

      const connection = (await t.api.get(`/connections/${id}`).expect(200)).body;
      expect(connection).toMatchObject({
        provider: 'acme',
        ownerId: 'owner-acme',
        accountId: 'alice',
        hasRefreshToken: true,
        status: 'active',
      });
      // Stored as granted (the token response's scope), not as requested: this server drops offline_access.
      expect(connection.scopes).toEqual(['openid', 'email']);
      expect(Date.parse(connection.expiresAt) - Date.now()).toBeGreaterThan(3500_000);

      // The stored access token works at the provider.
      const { accessToken } = (await t.api.get(`/connections/${id}/credentials`).expect(200)).body;
      const me = await whoami(accessToken);
      expect(me.status).toBe(200);
      expect(((await me.json()) as { sub: string }).sub).toBe('alice');

      // POST /connections/{id}/refresh: the service refreshes with the stored refresh token, the server
      // rotates it, and the service stores the new pair.
      const storedRefreshToken = async () => {
        const row = (await t.dataSource.query('SELECT refresh_token FROM connections WHERE id = $1', [id]))[0];
        return t.app.get(TokenCipher).decrypt(row.refresh_token, tokenContext(id, 'refresh_token'));
      };
      const version = async () =>
        (await t.dataSource.query('SELECT token_version FROM connections WHERE id = $1', [id]))[0].token_version;
      const firstRefreshToken = await storedRefreshToken();
      const versionBefore = await version();
      const refreshed = (await t.api.post(`/connections/${id}/refresh`).expect(200)).body;
      expect(refreshed).toMatchObject({ id, status: 'active', refreshFailures: 0, lastError: null });
      expect(refreshed.lastRefreshedAt).not.toBeNull();
      expect(await version()).toBe(versionBefore + 1);
      const rotatedRefreshToken = await storedRefreshToken();
      expect(rotatedRefreshToken).not.toBe(firstRefreshToken);
      const { accessToken: refreshedAccessToken } = (await t.api.get(`/connections/${id}/credentials`).expect(200))
        .body;
      expect(refreshedAccessToken).not.toBe(accessToken);
      expect((await whoami(refreshedAccessToken)).status).toBe(200);
      // The stored token is the live one: a second refresh through the API is accepted too.
      await t.api.post(`/connections/${id}/refresh`).expect(200);
      const { accessToken: currentAccessToken } = (await t.api.get(`/connections/${id}/credentials`).expect(200)).body;
      const currentRefreshToken = await storedRefreshToken();
      expect(currentRefreshToken).not.toBe(rotatedRefreshToken);
      expect((await whoami(currentAccessToken)).status).toBe(200);

      // DELETE /connections/{id}: RFC 7009 revocation of the refresh token ends the grant at the server.
      expect((await t.api.delete(`/connections/${id}`).expect(200)).body).toEqual({
        id,
        providerRevocation: 'revoked',
        subscriptions: { removed: 0, queued: 0 },
      });
      await t.api.get(`/connections/${id}`).expect(404);
      expect((await whoami(currentAccessToken)).status).toBe(401);
      for (const token of [currentRefreshToken, rotatedRefreshToken, firstRefreshToken])
        expect(await refreshAtServer(token)).toMatchObject({ status: 400, error: 'invalid_grant' });
    } finally {
      await page.close();
    }
  }, 60_000);

  it('a denied consent ends on the return URL with access_denied and stores nothing', async () => {
    const session = await t.api
      .post('/connect-sessions')
      .send({ provider: 'acme', ownerId: 'owner-acme-deny', returnUrl: `${t.baseUrl}/done` })
      .expect(201);
    const page = await browser.newPage();
    try {
      await page.goto(session.body.url);
      await page.fill('input[name="login"]', 'bob');
      await page.fill('input[name="password"]', 'any');
      await page.click('button[type="submit"]');
      // oidc-provider's consent screen offers "abort" as a link back to the client with error=access_denied.
      await page.click('a[href*="abort"]');
      await page.waitForURL(/\/done\?/);
      const landed = new URL(page.url());
      expect(Object.fromEntries(landed.searchParams)).toEqual({
        status: 'error',
        error: 'access_denied',
        sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      const list = await t.api.get('/connections').query({ ownerId: 'owner-acme-deny' }).expect(200);
      expect(list.body.data).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
