'use strict';
/**
 * The proxy scenario's bare forwarding proxy: the least `/proxy/{connectionId}/…` must do, with no
 * framework, in its own process. Same work as a proxied GET of the service on a valid token:
 *   - the API-key check of bench/baseline-server.js (SHA-256 digests compared with timingSafeEqual over
 *     every key, like src/auth/api-keys.ts);
 *   - one primary-key SELECT of the connection with `pg` (pool of DATABASE_POOL_SIZE, like the service;
 *     a named statement, as the service's credentials read is), and the same refusals (404, 409);
 *   - AES-256-GCM decrypt of the access token with the service's own TokenCipher (same envelope, AAD);
 *   - the call to UPSTREAM_BASE + the rest of the path and query with undici (`request`, one keep-alive
 *     Agent, as the service uses), the caller's headers without hop-by-hop ones, Host, Authorization and
 *     cookies, and `Authorization: Bearer <token>`;
 *   - the answer streamed back (status, the upstream's headers without hop-by-hop and caching ones,
 *     `Cache-Control: private, no-store`, `Proxy-Status`, `X-Request-Id`), never buffered.
 * No path hardening, no retries, no 401 renewal, no logs or metrics: those are the service's extras.
 *
 * Env: DATABASE_URL, API_KEYS, ENCRYPTION_KEYS, PORT, UPSTREAM_BASE, DATABASE_POOL_SIZE (10),
 * CREDENTIALS_SKEW_SECONDS (300), BENCH_DIST.
 */
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { EventEmitter } = require('node:events');
const { Agent } = require('undici');

const { authorized, cipher, skewMs, pool } = require('./lib/bare-common');
const upstreamUrl = new URL((process.env.UPSTREAM_BASE || '').replace(/\/+$/, ''));
const upstreamOrigin = upstreamUrl.origin;
const upstreamPath = upstreamUrl.pathname;
/** `request` (undici's request(), the answer's body piped back) or `dispatch` (a raw dispatch handler). */
const MODE = process.env.BARE_MODE || 'request';
const dispatcher = new Agent({ keepAliveTimeout: 4_000, headersTimeout: 30_000, bodyTimeout: 30_000 });

const ROUTE = /^\/proxy\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/[^?#]*)?(\?[^#]*)?$/i;
const BY_ID = {
  name: 'bare_proxy_by_id',
  text: 'SELECT id, status, access_token, refresh_token IS NOT NULL AS has_refresh, expires_at FROM connections WHERE id = $1',
};
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
const REQUEST_DROPPED = new Set(['authorization', 'cookie', 'host', 'content-length', 'expect', ...HOP_BY_HOP]);
const RESPONSE_DROPPED = new Set(['set-cookie', 'cache-control', 'expires', ...HOP_BY_HOP]);

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'private, no-store',
  });
  res.end(json);
}

async function handle(req, res) {
  if (req.method === 'GET' && req.url === '/health/ready') {
    await pool.query('SELECT 1');
    return send(res, 200, { status: 'ok' });
  }
  const route = ROUTE.exec(req.url);
  if (!route) return send(res, 404, { statusCode: 404, code: 'route_not_found' });
  if (!authorized(req.headers.authorization)) return send(res, 401, { statusCode: 401, code: 'unauthorized' });
  const id = route[1].toLowerCase();
  const { rows } = await pool.query({ ...BY_ID, values: [id] });
  const c = rows[0];
  if (!c) return send(res, 404, { statusCode: 404, code: 'connection_not_found' });
  if (c.status === 'needs_reauth' || c.status === 'revoked' || c.access_token === null)
    return send(res, 409, { statusCode: 409, code: 'connection_needs_reauth' });
  // No refresh path here: a token that the service would refresh first is an error.
  if (c.has_refresh && c.expires_at && c.expires_at.getTime() - Date.now() <= skewMs)
    return send(res, 503, { statusCode: 503, code: 'refresh_not_in_bare_proxy' });
  const token = cipher.decrypt(c.access_token, { table: 'connections', id: c.id, field: 'access_token' });

  const headers = {};
  for (const name in req.headers) if (!REQUEST_DROPPED.has(name)) headers[name] = req.headers[name];
  headers.authorization = `Bearer ${token}`;
  const path = `${upstreamPath}${route[2] ?? ''}${route[3] ?? ''}`;
  if (MODE === 'dispatch') return forwardByDispatch(req, res, path, headers);
  // The caller going away ends the upstream call (an EventEmitter is a signal undici takes, cheaper than an AbortController).
  const signal = new EventEmitter();
  res.once('close', () => {
    if (!res.writableFinished) signal.emit('abort');
  });
  const upstream = await dispatcher.request({
    origin: upstreamOrigin,
    path,
    method: req.method,
    headers,
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req,
    signal,
  });
  const out = {};
  for (const name in upstream.headers)
    if (!RESPONSE_DROPPED.has(name) && !name.startsWith('access-control-')) out[name] = upstream.headers[name];
  res.writeHead(upstream.statusCode, withOwnHeaders(out, upstream.statusCode));
  upstream.body.on('error', () => res.destroy()).pipe(res);
}

function withOwnHeaders(out, status) {
  out['cache-control'] = 'private, no-store';
  out['proxy-status'] = `bare; received-status=${status}`;
  out['x-request-id'] = randomUUID();
  return out;
}

/**
 * BARE_MODE=dispatch: undici's lowest level (a dispatch handler writing each chunk straight to the
 * response, pausing the upstream while the caller's socket is full): no body stream object at all.
 */
function forwardByDispatch(req, res, path, headers) {
  return new Promise((resolve, reject) => {
    let abort;
    let started = false;
    res.once('close', () => {
      if (!res.writableFinished) abort?.(new Error('caller went away'));
    });
    dispatcher.dispatch(
      {
        origin: upstreamOrigin,
        path,
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req,
      },
      {
        onConnect(a) {
          abort = a;
        },
        onHeaders(status, raw, resume) {
          const out = {};
          for (let i = 0; i < raw.length; i += 2) {
            const name = raw[i].toString('latin1').toLowerCase();
            if (!RESPONSE_DROPPED.has(name) && !name.startsWith('access-control-'))
              out[name] = raw[i + 1].toString('latin1');
          }
          started = true;
          res.writeHead(status, withOwnHeaders(out, status));
          res.on('drain', resume);
          resolve();
          return true;
        },
        onData(chunk) {
          return res.write(chunk);
        },
        onComplete() {
          res.end();
        },
        onError(error) {
          if (started) res.destroy(error);
          else reject(error);
        },
      },
    );
  });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    if (error.name !== 'AbortError') console.error(error);
    if (!res.headersSent) send(res, 502, { statusCode: 502, code: 'provider_unavailable' });
    else res.destroy();
  });
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT), '127.0.0.1');

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  Promise.all([pool.end(), dispatcher.close()]).finally(() => process.exit(0));
});
