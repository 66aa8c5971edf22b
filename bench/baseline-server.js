'use strict';
/**
 * The hot-path baseline: the least a credentials endpoint must do, with no framework. Same work as
 * GET /connections/{id}/credentials on a valid token: API-key check (SHA-256 digests compared with
 * timingSafeEqual over every key, like src/auth/api-keys.ts), a primary-key SELECT with `pg`
 * (pool of DATABASE_POOL_SIZE, like the service), AES-256-GCM decrypt with the service's own
 * TokenCipher (same envelope and AAD), JSON out with Cache-Control: no-store.
 *
 * Env: DATABASE_URL, API_KEYS, ENCRYPTION_KEYS, PORT, DATABASE_POOL_SIZE (10), CREDENTIALS_SKEW_SECONDS (300), BENCH_DIST.
 */
const http = require('node:http');
const { authorized, cipher, skewMs, pool } = require('./lib/bare-common');

const ROUTE = /^\/connections\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/credentials(?:\?.*)?$/i;

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
  });
  res.end(json);
}

async function handle(req, res) {
  if (req.method === 'GET' && req.url === '/health/ready') {
    await pool.query('SELECT 1');
    return send(res, 200, { status: 'ok' });
  }
  const route = req.method === 'GET' ? ROUTE.exec(req.url) : null;
  if (!route) return send(res, 404, { statusCode: 404, code: 'route_not_found' });
  if (!authorized(req.headers.authorization)) return send(res, 401, { statusCode: 401, code: 'unauthorized' });
  const id = route[1].toLowerCase();
  const { rows } = await pool.query(
    'SELECT id, status, access_token, refresh_token IS NOT NULL AS has_refresh, token_type, expires_at, api_base_url, scopes, account_id FROM connections WHERE id = $1',
    [id],
  );
  const c = rows[0];
  if (!c) return send(res, 404, { statusCode: 404, code: 'connection_not_found' });
  if (c.status === 'needs_reauth' || c.status === 'revoked')
    return send(res, 409, { statusCode: 409, code: 'connection_needs_reauth' });
  // The baseline has no refresh path: a token that the service would refresh first is an error here.
  if (c.has_refresh && c.expires_at && c.expires_at.getTime() - Date.now() <= skewMs)
    return send(res, 503, { statusCode: 503, code: 'refresh_not_in_baseline' });
  send(res, 200, {
    accessToken: cipher.decrypt(c.access_token, { table: 'connections', id: c.id, field: 'access_token' }),
    tokenType: c.token_type,
    expiresAt: c.expires_at ? c.expires_at.toISOString() : null,
    apiBaseUrl: c.api_base_url,
    scopes: c.scopes,
    accountId: c.account_id,
  });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) send(res, 500, { statusCode: 500, code: 'internal_error' });
  });
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT), '127.0.0.1');

process.on('SIGTERM', () => {
  server.close();
  pool.end().finally(() => process.exit(0));
});
