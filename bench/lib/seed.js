'use strict';
// Data set-up straight into Postgres (the schema is the one the service's migrations created).
const { createHash, randomBytes, randomUUID } = require('node:crypto');

const KEAP_API_BASE = 'https://api.infusionsoft.com/crm/rest/v1';
const BATCH = 1000;

const accessContext = (id) => ({ table: 'connections', id, field: 'access_token' });
const refreshContext = (id) => ({ table: 'connections', id, field: 'refresh_token' });
const sha256Hex = (value) => createHash('sha256').update(value, 'utf8').digest('hex');

/**
 * Multi-row insert of connections (Keap unless `provider`/`apiBase` say otherwise; scopes {full}), one
 * statement per BATCH rows via unnest.
 * rows: {id, ownerId, accountId, accessToken, refreshToken, expiresAt, refreshTokenExpiresAt} (tokens already encrypted).
 */
async function insertConnections(db, rows, { provider = 'keap', apiBase = KEAP_API_BASE } = {}) {
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    await db.query(
      `INSERT INTO connections (id, provider, owner_id, account_id, status, api_base_url, scopes, token_type, access_token, refresh_token, expires_at, refresh_token_expires_at)
       SELECT u.id, $9::text, u.owner_id, u.account_id, 'active', $8, '{full}', 'Bearer', u.access_token, u.refresh_token, u.expires_at, u.refresh_token_expires_at
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
           AS u(id, owner_id, account_id, access_token, refresh_token, expires_at, refresh_token_expires_at)`,
      [
        chunk.map((r) => r.id),
        chunk.map((r) => r.ownerId),
        chunk.map((r) => r.accountId),
        chunk.map((r) => r.accessToken),
        chunk.map((r) => r.refreshToken),
        chunk.map((r) => r.expiresAt),
        chunk.map((r) => r.refreshTokenExpiresAt),
        apiBase,
        provider,
      ],
    );
  }
}

/** N connections with valid (not due) tokens; returns [{id, accessToken}] with the plaintext for checks. */
async function seedHotPath(db, cipher, n) {
  const now = Date.now();
  const rows = [];
  const plain = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const accessToken = `KeapAT.hot.${randomBytes(24).toString('base64url')}`;
    rows.push({
      id,
      ownerId: `hot_owner_${i}`,
      accountId: `abhot${i}`,
      accessToken: cipher.encrypt(accessToken, accessContext(id)),
      refreshToken: cipher.encrypt(`KeapRT.hot.${randomBytes(24).toString('base64url')}`, refreshContext(id)),
      // 20 h: outside the 1 h refresh lead and the 5 min credentials skew, so no request refreshes.
      expiresAt: new Date(now + 20 * 3600_000),
      refreshTokenExpiresAt: new Date(now + 45 * 86_400_000),
    });
    plain.push({ id, accessToken });
  }
  await db.query('BEGIN');
  await insertConnections(db, rows);
  await db.query('COMMIT');
  return plain;
}

/**
 * N Keap connections that all carry the same access token (`accessToken`, plaintext: what the proxy
 * scenario's upstream expects), each encrypted for its own row; valid for 20 h, so nothing refreshes.
 * Returns the ids.
 */
async function seedSameToken(db, cipher, n, accessToken) {
  const now = Date.now();
  const rows = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    rows.push({
      id,
      ownerId: `proxy_owner_${i}`,
      accountId: `abproxy${i}`,
      accessToken: cipher.encrypt(accessToken, accessContext(id)),
      refreshToken: cipher.encrypt(`KeapRT.proxy.${randomBytes(24).toString('base64url')}`, refreshContext(id)),
      expiresAt: new Date(now + 20 * 3600_000),
      refreshTokenExpiresAt: new Date(now + 45 * 86_400_000),
    });
  }
  await db.query('BEGIN');
  await insertConnections(db, rows);
  await db.query('COMMIT');
  return rows.map((r) => r.id);
}

/**
 * N due Keap connections whose refresh tokens the simulator knows: a sandbox.tokens row per token
 * (SHA-256 hex, kind refresh, its own grant) and the connection with that token encrypted for its id.
 * All in one transaction, so the sweep sees them at once. Returns the ids.
 */
async function seedDueKeap(db, cipher, n, { dueInMs = 10 * 60_000 } = {}) {
  const now = Date.now();
  const account = { userId: '1', email: 'bench@sandbox.example', appName: 'abbench' };
  const ids = [];
  await db.query('BEGIN');
  for (let i = 0; i < n; i += BATCH) {
    const rows = [];
    const tokens = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      const id = randomUUID();
      const refreshToken = `sbx_keap_rt_${randomBytes(24).toString('base64url')}`;
      tokens.push({ hash: sha256Hex(refreshToken), grantId: randomUUID() });
      rows.push({
        id,
        ownerId: `sweep_owner_${j}`,
        accountId: 'abbench',
        accessToken: cipher.encrypt(`sbx_keap_at_${randomBytes(24).toString('base64url')}`, accessContext(id)),
        refreshToken: cipher.encrypt(refreshToken, refreshContext(id)),
        expiresAt: new Date(now + dueInMs),
        refreshTokenExpiresAt: new Date(now + 45 * 86_400_000),
      });
      ids.push(id);
    }
    // scope 'full' is what the simulator itself stores for a Keap consent (its answer adds `|<app>.infusionsoft.com`).
    await db.query(
      `INSERT INTO sandbox.tokens (token_hash, provider, kind, grant_id, account, scope, expires_at)
       SELECT u.h, 'keap', 'refresh', u.g, $3::jsonb, 'full', NULL FROM unnest($1::text[], $2::uuid[]) AS u(h, g)`,
      [tokens.map((t) => t.hash), tokens.map((t) => t.grantId), JSON.stringify(account)],
    );
    await insertConnections(db, rows);
  }
  await db.query('COMMIT');
  return ids;
}

/**
 * The events scenario's data: N connections of `provider` (API base `apiBase`, a valid access token for
 * 20 h, no refresh token) and one active event subscription each, written as the subscriptions API
 * would: only the SHA-256 hex of the URL token (32 random bytes, base64url), and the provider's signing
 * secret (if `withSecret`) encrypted by `cipher` under `secretContext(subscriptionId)` (the build's own
 * subscriptionSecretContext). One transaction. Returns [{connectionId, subscriptionId, token, secret}]
 * with the plaintext token and secret, for the load generator to address and sign events.
 */
async function seedEventSubscriptions(db, cipher, n, { provider, apiBase, events, withSecret, secretContext }) {
  const now = Date.now();
  const rows = [];
  const subscriptions = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    rows.push({
      id,
      ownerId: `events_owner_${i}`,
      accountId: `events_account_${i}`,
      accessToken: cipher.encrypt(`${provider}.events.${randomBytes(24).toString('base64url')}`, accessContext(id)),
      refreshToken: null,
      expiresAt: new Date(now + 20 * 3600_000),
      refreshTokenExpiresAt: null,
    });
    const subscriptionId = randomUUID();
    const secret = withSecret ? randomBytes(32).toString('hex') : null;
    subscriptions.push({
      connectionId: id,
      subscriptionId,
      token: randomBytes(32).toString('base64url'),
      secret,
      envelope: secret ? cipher.encrypt(secret, secretContext(subscriptionId)) : null,
    });
  }
  await db.query('BEGIN');
  await insertConnections(db, rows, { provider, apiBase });
  for (let i = 0; i < n; i += BATCH) {
    const chunk = subscriptions.slice(i, i + BATCH);
    await db.query(
      `INSERT INTO event_subscriptions (id, connection_id, provider, events, status, token_hash, remote_ids, secret)
       SELECT u.id, u.connection_id, $4, $5::text[], 'active', u.token_hash, ARRAY['bench-' || u.id::text], u.secret
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $6::text[]) AS u(id, connection_id, token_hash, secret)`,
      [
        chunk.map((s) => s.subscriptionId),
        chunk.map((s) => s.connectionId),
        chunk.map((s) => sha256Hex(s.token)),
        provider,
        events,
        chunk.map((s) => s.envelope),
      ],
    );
  }
  await db.query('COMMIT');
  return subscriptions.map((s) => ({
    connectionId: s.connectionId,
    subscriptionId: s.subscriptionId,
    token: s.token,
    secret: s.secret,
  }));
}

/**
 * The list data set: `n` rows from generate_series in one INSERT … SELECT. Deterministic
 * pseudo-random spread (setseed): provider keap 60 %, webflow 15 %, clickfunnels 10 %, lightfunnels 10 %,
 * clickfunnels-classic 5 %; 50,000 owners (≈ 20 connections each); status active 95 %, needs_reauth 2 %,
 * refresh_failed 2 %, expired 1 %; created_at spaced 500 ms apart with every two rows sharing one (so the
 * id tie-break of the keyset is exercised). Tokens are one fixed dummy envelope (the list never decrypts);
 * expiries are 30 / 60 days out, so the refresh sweep leaves these rows alone.
 */
async function bulkLoad(db, cipher, n) {
  const dummyAccess = cipher.encrypt(
    `KeapAT.dummy.${randomBytes(24).toString('base64url')}`,
    accessContext('00000000-0000-0000-0000-000000000000'),
  );
  const dummyRefresh = cipher.encrypt(
    `KeapRT.dummy.${randomBytes(24).toString('base64url')}`,
    refreshContext('00000000-0000-0000-0000-000000000000'),
  );
  await db.query('SELECT setseed(0.4242)');
  await db.query(
    `INSERT INTO connections (id, provider, owner_id, account_id, status, api_base_url, scopes, token_type, access_token, refresh_token,
                              expires_at, refresh_token_expires_at, created_at, updated_at)
     SELECT gen_random_uuid(),
            CASE WHEN r.p < 0.60 THEN 'keap' WHEN r.p < 0.75 THEN 'webflow' WHEN r.p < 0.85 THEN 'clickfunnels'
                 WHEN r.p < 0.95 THEN 'lightfunnels' ELSE 'clickfunnels-classic' END,
            'owner_' || floor(r.o * 50000)::int,
            'bulk_' || r.i,
            CASE WHEN r.s < 0.95 THEN 'active' WHEN r.s < 0.97 THEN 'needs_reauth' WHEN r.s < 0.99 THEN 'refresh_failed' ELSE 'expired' END,
            $2, '{full}', 'Bearer', $3, $4,
            now() + interval '30 days', now() + interval '60 days',
            timestamptz '2025-01-01 00:00:00+00' + (r.i / 2) * interval '500 milliseconds',
            timestamptz '2025-01-01 00:00:00+00' + (r.i / 2) * interval '500 milliseconds'
       FROM (SELECT i, random() AS p, random() AS o, random() AS s FROM generate_series(1, $1::int) AS i) AS r`,
    [n, KEAP_API_BASE, dummyAccess, dummyRefresh],
  );
}

module.exports = { seedHotPath, seedSameToken, seedDueKeap, seedEventSubscriptions, bulkLoad, sha256Hex };
