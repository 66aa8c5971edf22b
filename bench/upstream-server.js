'use strict';
/**
 * The provider API the proxy scenario calls: bare node:http, its own process (so its CPU is counted
 * apart from the service's). Every /api route wants `Authorization: Bearer <UPSTREAM_TOKEN>` (401 otherwise).
 *   GET /api/contacts  a fixed JSON body of about 1 kB (a page of contacts, Keap-like)
 *   GET /api/export    EXPORT_BYTES (50 MB) of octets, streamed in 64 kB chunks with backpressure
 *   GET /ready         200, for the bench to wait on
 *
 * Env: PORT, UPSTREAM_TOKEN, EXPORT_BYTES (52428800).
 */
const http = require('node:http');
const { timingSafeEqual } = require('node:crypto');

const expected = Buffer.from(`Bearer ${process.env.UPSTREAM_TOKEN || ''}`, 'utf8');
const exportBytes = Number(process.env.EXPORT_BYTES || 50 * 1024 * 1024);

const contacts = Buffer.from(
  JSON.stringify({
    contacts: Array.from({ length: 6 }, (_, i) => ({
      id: 1001 + i,
      given_name: `Given${i}`,
      family_name: `Family${i}`,
      email_addresses: [{ email: `contact${i}@example.com`, field: 'EMAIL1' }],
      date_created: '2026-01-01T00:00:00.000Z',
      last_updated: '2026-01-02T00:00:00.000Z',
    })),
    count: 6,
    next: null,
  }),
  'utf8',
);
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

function authorized(header) {
  if (typeof header !== 'string') return false;
  const presented = Buffer.from(header, 'utf8');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'content-length': body.length });
  res.end(body);
}

/** EXPORT_BYTES in CHUNK-sized writes, waiting for 'drain' whenever the socket's buffer is full. */
function streamExport(res) {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': exportBytes });
  let left = exportBytes;
  const pump = () => {
    while (left > 0) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('close', () => (left = 0));
  pump();
}

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (req.method === 'GET' && path === '/ready') return send(res, 200, Buffer.from('{"status":"ok"}'));
  if (path !== '/api/contacts' && path !== '/api/export') return send(res, 404, Buffer.from('{"message":"not found"}'));
  if (!authorized(req.headers.authorization)) return send(res, 401, Buffer.from('{"message":"Invalid Access Token"}'));
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, Buffer.from('{"message":"GET only"}'));
  if (path === '/api/contacts') return send(res, 200, contacts);
  return streamExport(res);
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT), '127.0.0.1');

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
