'use strict';
/**
 * What the bench's framework-free servers (baseline-server.js, bare-proxy-server.js) share: the
 * API-key check of src/auth/api-keys.ts (SHA-256 digests compared with timingSafeEqual over every
 * key), the service's own TokenCipher from the build (BENCH_DIST), the skew and the `pg` pool sized
 * like the service's. Env: DATABASE_URL, API_KEYS, ENCRYPTION_KEYS, DATABASE_POOL_SIZE (10),
 * CREDENTIALS_SKEW_SECONDS (300), BENCH_DIST.
 */
const path = require('node:path');
const { createHash, timingSafeEqual } = require('node:crypto');
const { Pool } = require('pg');

const DIST = path.resolve(process.env.BENCH_DIST || path.join(__dirname, '..', '..', 'dist'));
const { TokenCipher } = require(path.join(DIST, 'src/crypto/token-cipher.js'));
const { parseKeyring } = require(path.join(DIST, 'src/crypto/keyring.js'));

const digest = (value) => createHash('sha256').update(value, 'utf8').digest();
const keyDigests = (process.env.API_KEYS || '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .map(digest);
const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/** Whether an Authorization header carries one of API_KEYS (every key compared, in constant time). */
function authorized(header) {
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match) return false;
  const presented = digest(match[1]);
  let ok = false;
  for (const key of keyDigests) ok = timingSafeEqual(presented, key) || ok;
  return ok;
}

module.exports = {
  DIST,
  authorized,
  cipher: new TokenCipher(parseKeyring(process.env.ENCRYPTION_KEYS || '')),
  skewMs: Number(process.env.CREDENTIALS_SKEW_SECONDS || 300) * 1000,
  pool: new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE || 10) }),
};
