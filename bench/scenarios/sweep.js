'use strict';
// Scenario 3: N due Keap connections, a shared refresh budget, two instances sweeping one database, the Keap simulator.
const { seedDueKeap } = require('../lib/seed');
const path = require('node:path');
const { DIST, cpuTimeMs, postgresCpuMs, round, sleep } = require('../lib/util');
const { ConnectionLifecycleRepository } = require(
  path.join(DIST, 'src/connections/persistence/connection-lifecycle.repository.js'),
);

/**
 * The statement and parameters the sweep's claim runs, recorded from the build's own repository (not a
 * copy that could drift): its query runner is a recorder that answers "nothing claimed".
 */
async function claimStatement(due, lease) {
  let recorded;
  const recorder = {
    query: async (sql, params) => {
      recorded = { sql, params };
      return [[], 0];
    },
  };
  await new ConnectionLifecycleRepository(recorder, {}).claimDueForRefresh(due, lease);
  return recorded;
}

async function tableStats(db) {
  const { rows } = await db.query(
    `SELECT CASE WHEN schemaname = 'public' THEN relname ELSE schemaname || '.' || relname END AS relname,
            n_tup_upd::bigint AS upd, n_tup_ins::bigint AS ins
       FROM pg_stat_user_tables
      WHERE (schemaname, relname) IN (('public', 'connections'), ('public', 'refresh_budgets'), ('sandbox', 'tokens'), ('sandbox', 'calls'))`,
  );
  const { rows: dbRows } = await db.query(
    `SELECT xact_commit::bigint AS commits, xact_rollback::bigint AS rollbacks FROM pg_stat_database WHERE datname = current_database()`,
  );
  const byName = Object.fromEntries(rows.map((r) => [r.relname, { upd: Number(r.upd), ins: Number(r.ins) }]));
  return { tables: byName, commits: Number(dbRows[0].commits), rollbacks: Number(dbRows[0].rollbacks) };
}

/** Postgres counters are reported asynchronously (at most every second): wait for them to settle. */
async function settledStats(db) {
  await sleep(1200);
  await db.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
  return tableStats(db);
}

/** The sweep's claim statement (ConnectionLifecycleRepository.claimDueForRefresh) with EXPLAIN ANALYZE, rolled back. */
async function explainClaim(db, { provider, batchSize, leadMs }) {
  const now = new Date();
  await db.query('BEGIN');
  try {
    const claim = await claimStatement(
      {
        provider,
        now,
        expiringBefore: new Date(now.getTime() + leadMs),
        refreshTokenExpiringBefore: new Date(now.getTime() + 7 * 86_400_000),
        limit: batchSize,
      },
      { owner: 'bench-explain', until: new Date(now.getTime() + 60_000) },
    );
    const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${claim.sql}`, claim.params);
    const lines = rows.map((r) => r['QUERY PLAN']);
    const text = lines.join('\n');
    return {
      provider,
      executionMs: Number((/Execution Time: ([\d.]+) ms/.exec(text) || [])[1]),
      scans: [
        ...text.matchAll(/((?:Bitmap Index Scan|Index Only Scan|Index Scan(?: Backward)?|Seq Scan))(?: using (\S+))?/g),
      ].map((m) => (m[2] ? `${m[1]} using ${m[2]}` : m[1])),
      plan: lines,
    };
  } finally {
    await db.query('ROLLBACK');
  }
}

async function run({ db, cipher, startService, n, rate, knobs, pgDataDir, statements, timeoutMs, log }) {
  const env = {
    // The Keap simulator lives in the development module.
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    REFRESH_SWEEP_INTERVAL_SECONDS: '1',
    KEAP_REFRESH_RATE_PER_SECOND: String(rate),
    REFRESH_BATCH_SIZE: String(knobs.batchSize),
    REFRESH_CONCURRENCY: String(knobs.concurrency),
    DATABASE_POOL_SIZE: String(knobs.poolSize),
  };
  log(
    `  starting two instances with the sweep on (every 1 s), batch ${knobs.batchSize}, concurrency ${knobs.concurrency}, pool ${knobs.poolSize}`,
  );
  const instances = await Promise.all([startService('sweep-1', env), startService('sweep-2', env)]);
  const result = { n, ratePerSecond: rate, instances: 2, knobs, idealMs: Math.round((n / rate) * 1000) };
  try {
    const { rows: callBase } = await db.query(`SELECT COALESCE(max(id), 0)::bigint AS id FROM sandbox.calls`);
    const callsAfter = Number(callBase[0].id);
    const before = await settledStats(db);

    await statements?.reset();
    log(`  inserting ${n.toLocaleString('en')} due Keap connections and their simulator refresh tokens`);
    const ids = await seedDueKeap(db, cipher, n);
    const t0 = Date.now();
    const cpu0 = { instances: instances.map((inst) => cpuTimeMs(inst.pid)), postgres: postgresCpuMs(pgDataDir) };

    const peak = instances.map(() => 0);
    let refreshed = 0;
    let lastLog = 0;
    while (Date.now() - t0 < timeoutMs) {
      instances.forEach((inst, i) => (peak[i] = Math.max(peak[i], inst.memory().rssMb ?? 0)));
      const { rows } = await db.query(
        `SELECT count(*)::int AS done FROM connections WHERE id = ANY($1::uuid[]) AND last_refreshed_at IS NOT NULL`,
        [ids],
      );
      refreshed = rows[0].done;
      if (refreshed >= n) break;
      if (Date.now() - lastLog > 5000) {
        log(`    ${((Date.now() - t0) / 1000).toFixed(0)} s: ${refreshed}/${n} refreshed`);
        lastLog = Date.now();
      }
      await sleep(500);
    }
    result.timedOut = refreshed < n;
    const busyMs = Date.now() - t0;
    const instanceCpuMs = instances.map((inst, i) => cpuTimeMs(inst.pid) - cpu0.instances[i]);
    const postgresMs = postgresCpuMs(pgDataDir) - cpu0.postgres;
    result.cpu = {
      // Both instances together (each also serves its own simulator calls) and Postgres, per refresh and in % of one core.
      instancesMsPerRefresh: round(instanceCpuMs.reduce((a, b) => a + b, 0) / Math.max(1, refreshed), 2),
      postgresMsPerRefresh: round(postgresMs / Math.max(1, refreshed), 2),
      instancesPercent: instanceCpuMs.map((ms) => round((ms / busyMs) * 100, 0)),
      postgresPercent: round((postgresMs / busyMs) * 100, 0),
      note: 'the simulator runs inside each instance: its HTTP handling and queries are included',
    };
    // Give stragglers (a second refresh of the same row would show up here) a moment.
    await sleep(1500);
    instances.forEach((inst, i) => (peak[i] = Math.max(peak[i], inst.memory().rssMb ?? 0)));

    const { rows: timing } = await db.query(
      `SELECT min(last_refreshed_at) AS first, max(last_refreshed_at) AS last FROM connections WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const first = timing[0].first ? timing[0].first.getTime() - t0 : null;
    const last = timing[0].last ? timing[0].last.getTime() - t0 : null;
    result.elapsedMs = result.timedOut ? Date.now() - t0 : last;
    result.firstRefreshMs = first;
    result.elapsedVsIdeal = round(result.elapsedMs / result.idealMs, 2);
    result.achievedPerSecond = round((refreshed / result.elapsedMs) * 1000, 1);
    // Steady-state rate, without the bucket's initial burst and the wait for the first sweep tick.
    if (first !== null && last > first) result.steadyPerSecond = round(((refreshed - 1) / (last - first)) * 1000, 1);

    const { rows: calls } = await db.query(
      `SELECT count(*)::int AS calls, count(*) FILTER (WHERE status <> 200)::int AS failed
         FROM sandbox.calls WHERE id > $1 AND provider = 'keap' AND grant_type = 'refresh_token'`,
      [callsAfter],
    );
    result.providerCalls = calls[0].calls;
    result.providerCallsFailed = calls[0].failed;
    // What the provider saw: the most refresh calls in any 1-second window (must not exceed the budget).
    const { rows: busiest } = await db.query(
      `SELECT COALESCE(max(n), 0)::int AS n FROM (
         SELECT count(*) OVER (ORDER BY created_at RANGE BETWEEN CURRENT ROW AND interval '999 milliseconds' FOLLOWING) AS n
           FROM sandbox.calls WHERE id > $1 AND provider = 'keap' AND grant_type = 'refresh_token') w`,
      [callsAfter],
    );
    result.busiestSecondCalls = busiest[0].n;
    const { rows: state } = await db.query(
      `SELECT count(*) FILTER (WHERE status <> 'active')::int AS not_active,
              count(*) FILTER (WHERE last_refreshed_at IS NULL)::int AS not_refreshed,
              count(*) FILTER (WHERE token_version > 2)::int AS refreshed_twice,
              count(*) FILTER (WHERE status <> 'active' OR last_refreshed_at IS NULL)::int AS lost,
              count(*) FILTER (WHERE lease_owner IS NOT NULL)::int AS still_leased
         FROM connections WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    result.refreshed = refreshed;
    // Where the database time went (both instances; the simulator's own statements included), per refresh.
    result.topStatements = await statements?.top(12, Math.max(1, refreshed));
    result.lost = state[0].lost;
    result.notActive = state[0].not_active;
    result.notRefreshed = state[0].not_refreshed;
    result.refreshedTwice = state[0].refreshed_twice;
    result.stillLeased = state[0].still_leased;

    result.peakRssMb = round(Math.max(...peak), 1);
    result.perInstance = instances.map((inst, i) => ({ name: inst.name, sampledPeakRssMb: peak[i], ...inst.memory() }));
    result.after = instances.map((inst) => ({ name: inst.name, ...inst.memory() }));
    // Backends report their counters when they exit at the latest: stop the instances first.
    await Promise.all(instances.map((inst) => inst.stop()));
    const after = await settledStats(db);
    const diff = (table, field) => (after.tables[table]?.[field] ?? 0) - (before.tables[table]?.[field] ?? 0);
    const perRefresh = (v) => round(v / Math.max(1, refreshed), 2);
    result.db = {
      commitsPerRefresh: perRefresh(after.commits - before.commits),
      refreshBudgetUpdatesPerRefresh: perRefresh(diff('refresh_budgets', 'upd')),
      connectionUpdatesPerRefresh: perRefresh(diff('connections', 'upd')),
      note: 'counters over the whole run (both instances, their idle sweep ticks and the bench polling included)',
    };

    // What one idle sweep tick costs once the table is large: the claim for each provider, nothing due.
    result.idleClaimExplain = [];
    for (const provider of ['keap', 'webflow'])
      result.idleClaimExplain.push(await explainClaim(db, { provider, batchSize: knobs.batchSize, leadMs: 3600_000 }));
  } finally {
    await Promise.all(instances.map((inst) => inst.stop()));
  }
  return result;
}

module.exports = { run };
