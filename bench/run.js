'use strict';
/**
 * `npm run bench`: builds (in the npm script), then measures the built service (dist/) against one
 * embedded Postgres in a temp dir, everything on 127.0.0.1:
 *   1. credentials hot path vs a bare node:http baseline (and the cost of info-level request logs),
 *   2. list scaling over 1,000,000 rows (page 1 vs page 5,000, EXPLAIN ANALYZE per filter combination),
 *   3. the refresh sweep: 10,000 due Keap connections, two instances, the Keap simulator, a 500/s budget,
 *   4. the proxy's overhead against calling a bare upstream directly, and its memory during a 50 MB download,
 *   4b. the proxy against a bare node:http forwarding proxy doing the same work (same upstream, same load),
 *   5. memory (RSS) idle and after each scenario,
 *   6. inbound provider events on two instances: events/s, and none lost or stored/forwarded twice.
 * Prints a table and writes bench/results.json. Knobs: see bench/README.md.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { randomBytes } = crypto;
const { Client } = require('pg');
const util = require('./lib/util');
const hotPath = require('./scenarios/hot-path');
const { seedHotPath } = require('./lib/seed');
const { pgStatements } = require('./lib/pgstats');
const list = require('./scenarios/list');
const sweep = require('./scenarios/sweep');
const proxy = require('./scenarios/proxy');
const events = require('./scenarios/events');

const { DIST, ROOT, freePort, round, sleep } = util;

const num = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};

const config = {
  only: (process.env.BENCH_ONLY || 'hot,list,sweep,proxy,proxybare,events').split(',').map((s) => s.trim()),
  hot: {
    connectionsSeeded: num('BENCH_HOT_N', 1000),
    concurrency: num('BENCH_HOT_CONCURRENCY', 50),
    durationSec: num('BENCH_HOT_DURATION', 15),
    warmupSec: num('BENCH_HOT_WARMUP', 3),
  },
  list: {
    rows: num('BENCH_LIST_ROWS', 1_000_000),
    deepPage: num('BENCH_LIST_PAGE', 5000),
    samples: { warmup: 3, measured: num('BENCH_LIST_SAMPLES', 25) },
  },
  sweep: {
    n: num('BENCH_SWEEP_N', 10_000),
    rate: num('BENCH_SWEEP_RATE', 500),
    timeoutSec: num('BENCH_SWEEP_TIMEOUT', 90),
    // Per instance. The defaults (batch 100, concurrency 10, pool 10) cannot reach 500/s on one box; see README.
    knobs: {
      batchSize: num('BENCH_REFRESH_BATCH_SIZE', 200),
      concurrency: num('BENCH_REFRESH_CONCURRENCY', 40),
      poolSize: num('BENCH_DATABASE_POOL_SIZE', 20),
    },
  },
  proxy: {
    connectionsSeeded: num('BENCH_PROXY_N', 10),
    concurrency: num('BENCH_PROXY_CONCURRENCY', 50),
    durationSec: num('BENCH_PROXY_DURATION', 15),
    warmupSec: num('BENCH_PROXY_WARMUP', 3),
    exportMb: num('BENCH_PROXY_EXPORT_MB', 50),
    sequentialN: num('BENCH_PROXY_SEQUENTIAL', 2000),
  },
  proxyBare: {
    connectionsSeeded: num('BENCH_PROXY_N', 10),
    concurrency: num('BENCH_PROXY_CONCURRENCY', 50),
    durationSec: num('BENCH_PROXYBARE_DURATION', 10),
    warmupSec: num('BENCH_PROXY_WARMUP', 3),
    // Measured runs of each, alternating the order (bare, service, service, bare, …).
    rounds: Math.max(1, num('BENCH_PROXYBARE_ROUNDS', 2)),
    // Extra environment of the service, e.g. BENCH_PROXYBARE_SERVICE_ENV='{"PROXY_TOKEN_CACHE_MS":"0"}'.
    serviceEnv: JSON.parse(process.env.BENCH_PROXYBARE_SERVICE_ENV || '{}'),
  },
  events: {
    n: Math.max(1, num('BENCH_EVENTS_N', 200)),
    // Per instance (two instances, loaded at once).
    concurrency: Math.max(1, num('BENCH_EVENTS_CONCURRENCY', 25)),
    durationSec: num('BENCH_EVENTS_DURATION', 10),
    warmupSec: num('BENCH_EVENTS_WARMUP', 2),
    duplicateFraction: Math.min(1, num('BENCH_EVENTS_DUPLICATES', 0.1)),
    logLevel: process.env.BENCH_EVENTS_LOG_LEVEL || 'warn',
    // 0: the service's default pool (10).
    poolSize: num('BENCH_EVENTS_POOL_SIZE', 0),
  },
  totalTimeoutSec: num('BENCH_TIMEOUT', 900),
};

const started = Date.now();
const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);

/**
 * One bench at a time on a machine: two runs share the cores (and both write results.json), which
 * makes both sets of figures meaningless. A stale lock (its process gone) is taken over.
 */
function takeLock() {
  const lock = path.join(os.tmpdir(), 'oauth-conn-bench.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      process.on('exit', () => fs.rmSync(lock, { force: true }));
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lock, 'utf8'));
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = holder !== process.pid;
      } catch {
        // not running
      }
      if (alive)
        throw new Error(`another bench (pid ${holder}) is running on this machine; wait for it (lock ${lock})`);
      fs.rmSync(lock, { force: true });
    }
  }
}

async function main() {
  takeLock();
  if (!fs.existsSync(path.join(DIST, 'src/main.js')))
    throw new Error(`${DIST}/src/main.js is missing: run \`npm run build\` (npm run bench does)`);
  const { startEmbeddedPostgres } = require(path.join(DIST, 'src/database/embedded-postgres.js'));
  const { TokenCipher } = require(path.join(DIST, 'src/crypto/token-cipher.js'));
  const { parseKeyring } = require(path.join(DIST, 'src/crypto/keyring.js'));

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-conn-bench-'));
  const apiKey = `bench_${randomBytes(16).toString('hex')}`;
  const encryptionKeys = `kbench:${randomBytes(32).toString('base64')}`;
  const cipher = new TokenCipher(parseKeyring(encryptionKeys));
  const results = {
    startedAt: new Date(started).toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      // The Node the service and baseline run on (BENCH_NODE), when it is not this one.
      serviceNode: process.env.BENCH_NODE
        ? require('node:child_process').execFileSync(process.env.BENCH_NODE, ['--version'], { encoding: 'utf8' }).trim()
        : process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAverageAtStart: os.loadavg().map((v) => round(v, 2)),
    },
    config,
    memory: { after: {} },
  };

  let pg;
  let db;
  const cleanup = async () => {
    util.killAllChildren();
    await db?.end().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  const watchdog = setTimeout(() => {
    console.error(`bench: gave up after ${config.totalTimeoutSec} s`);
    cleanup().finally(() => process.exit(2));
  }, config.totalTimeoutSec * 1000);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => cleanup().finally(() => process.exit(130)));

  try {
    log(`embedded Postgres in ${tmp}`);
    // Stock durability settings (fsync on): the service as it would run, not a throw-away test cluster.
    // pg_stat_statements (with planning time) says which statements cost the database; it costs every server alike.
    pg = await startEmbeddedPostgres({
      dataDir: path.join(tmp, 'pg'),
      serverFlags: [
        '-c',
        'max_connections=200',
        '-c',
        'shared_preload_libraries=pg_stat_statements',
        '-c',
        'pg_stat_statements.track_planning=on',
      ],
    });
    db = new Client({ connectionString: pg.url });
    await db.connect();
    results.machine.postgres = (await db.query('SHOW server_version')).rows[0].server_version;
    const statements = await pgStatements(db);

    // BENCH_SERVICE_NODE_OPTIONS (e.g. a profiler preload) and where that profiler writes (bench/lib/cpu-profile.js).
    const profilerEnv = {
      ...(process.env.BENCH_SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS } : {}),
      ...(process.env.BENCH_PROFILE_DIR ? { BENCH_PROFILE_DIR: process.env.BENCH_PROFILE_DIR } : {}),
      ...(process.env.BENCH_PROFILE_INTERVAL_US
        ? { BENCH_PROFILE_INTERVAL_US: process.env.BENCH_PROFILE_INTERVAL_US }
        : {}),
    };
    const serviceEnv = (extra) => ({
      // Measured as it runs in production (JSON logs); the sweep scenario asks for development, whose
      // simulators it needs.
      NODE_ENV: 'production',
      DATABASE_URL: pg.url,
      API_KEYS: apiKey,
      ENCRYPTION_KEYS: encryptionKeys,
      REFRESH_SWEEP_INTERVAL_SECONDS: '0',
      WEBHOOK_DISPATCH_INTERVAL_MS: '0',
      LOG_LEVEL: 'warn',
      // e.g. --max-old-space-size, or a profiler preload; empty by default.
      ...profilerEnv,
      ...extra,
    });
    const startService = async (name, extra = {}) => {
      const port = await freePort();
      const dataDir = path.join(tmp, name);
      fs.mkdirSync(dataDir, { recursive: true });
      return util.startProcess({
        name,
        script: path.join(DIST, 'src/main.js'),
        cwd: dataDir,
        logDir: tmp,
        env: serviceEnv({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, DATA_DIR: dataDir, ...extra }),
      });
    };
    const startBaseline = async () => {
      const port = await freePort();
      return util.startProcess({
        name: 'baseline',
        script: path.join(__dirname, 'baseline-server.js'),
        cwd: tmp,
        logDir: tmp,
        env: {
          DATABASE_URL: pg.url,
          API_KEYS: apiKey,
          ENCRYPTION_KEYS: encryptionKeys,
          PORT: String(port),
          BENCH_DIST: DIST,
          ...profilerEnv,
        },
      });
    };
    const startBareProxy = async ({ upstreamBase }) => {
      const port = await freePort();
      return util.startProcess({
        name: 'bare-proxy',
        script: path.join(__dirname, 'bare-proxy-server.js'),
        cwd: tmp,
        logDir: tmp,
        env: {
          DATABASE_URL: pg.url,
          API_KEYS: apiKey,
          ENCRYPTION_KEYS: encryptionKeys,
          PORT: String(port),
          UPSTREAM_BASE: upstreamBase,
          BENCH_DIST: DIST,
          ...(process.env.BENCH_BARE_MODE ? { BARE_MODE: process.env.BENCH_BARE_MODE } : {}),
          ...profilerEnv,
        },
      });
    };

    log('starting the service (LOG_LEVEL=warn, sweep off); it runs the migrations');
    let service = await startService('service');
    await sleep(2000);
    results.memory.idleMb = service.memory().rssMb;
    log(`service idle: ${results.memory.idleMb} MB RSS`);

    if (config.only.includes('hot')) {
      log(`1. credentials hot path: seeding ${config.hot.connectionsSeeded} connections`);
      const sample = await seedHotPath(db, cipher, config.hot.connectionsSeeded);
      const opts = {
        pgDataDir: path.join(tmp, 'pg'),
        statements,
        apiKey,
        connections: config.hot.concurrency,
        warmupSec: config.hot.warmupSec,
        durationSec: config.hot.durationSec,
        log,
        sample,
      };
      const hot = {
        connectionsSeeded: config.hot.connectionsSeeded,
        concurrency: config.hot.concurrency,
        durationSec: config.hot.durationSec,
      };
      hot.service = await hotPath.measure({
        ...opts,
        baseUrl: service.baseUrl,
        pid: service.pid,
        label: 'service (LOG_LEVEL=warn)',
      });
      results.memory.after.hotPath = service.memory().rssMb;

      const baseline = await startBaseline();
      hot.baseline = await hotPath.measure({
        ...opts,
        baseUrl: baseline.baseUrl,
        pid: baseline.pid,
        label: 'baseline (node:http + pg)',
      });
      hot.baseline.rssMb = baseline.memory().rssMb;
      await baseline.stop();

      const infoService = await startService('service-info', { LOG_LEVEL: 'info' });
      hot.serviceLogInfo = await hotPath.measure({
        ...opts,
        baseUrl: infoService.baseUrl,
        pid: infoService.pid,
        label: 'service (LOG_LEVEL=info, request logs)',
      });
      results.memory.after.hotPathLogInfo = infoService.memory().rssMb;
      // The same with a scoped key of the api_keys table (credentials:read), as a backend holds one: the
      // key is checked in memory like API_KEYS; its name and id go on the request's log line.
      const scopedKey = `ock_${crypto.randomBytes(32).toString('base64url')}`;
      await db.query(
        `INSERT INTO api_keys (id, name, scopes, secret_hash, prefix) VALUES ($1, 'bench-backend', '{credentials:read}', $2, $3)`,
        [crypto.randomUUID(), crypto.createHash('sha256').update(scopedKey).digest('hex'), scopedKey.slice(0, 10)],
      );
      hot.serviceScopedKey = await hotPath.measure({
        ...opts,
        apiKey: scopedKey,
        baseUrl: infoService.baseUrl,
        pid: infoService.pid,
        label: 'service (LOG_LEVEL=info, a credentials:read key of the api_keys table)',
      });
      await infoService.stop();

      hot.ratio = round(hot.service.rps / hot.baseline.rps, 3);
      hot.ratioLogInfo = round(hot.serviceLogInfo.rps / hot.baseline.rps, 3);
      hot.ratioScopedKey = round(hot.serviceScopedKey.rps / hot.baseline.rps, 3);
      // Efficiency independent of who else used the cores: baseline CPU per request / service CPU per request.
      hot.cpuRatio = round(hot.baseline.cpuUsPerRequest / hot.service.cpuUsPerRequest, 3);
      hot.cpuRatioLogInfo = round(hot.baseline.cpuUsPerRequest / hot.serviceLogInfo.cpuUsPerRequest, 3);
      hot.cpuRatioScopedKey = round(hot.baseline.cpuUsPerRequest / hot.serviceScopedKey.cpuUsPerRequest, 3);
      hot.aim = 'service >= 0.70 x baseline';
      results.hotPath = hot;
    }

    if (config.only.includes('list')) {
      log('2. list scaling');
      results.list = await list.run({
        db,
        cipher,
        service,
        apiKey,
        rows: config.list.rows,
        deepPage: config.list.deepPage,
        samples: config.list.samples,
        log,
      });
      results.memory.after.list = service.memory().rssMb;
    }
    await service.stop();
    service = undefined;

    // Before the sweep, whose 10,000 rewritten rows leave Postgres busy (autovacuum) for a while.
    if (config.only.includes('proxy')) {
      log('4. proxy overhead');
      results.proxy = await proxy.run({
        db,
        cipher,
        startService,
        apiKey,
        tmp,
        ...config.proxy,
        pgDataDir: path.join(tmp, 'pg'),
        statements,
        log,
      });
      results.memory.after.proxy = results.proxy.rssAfterLoadMb;
    }

    if (config.only.includes('proxybare')) {
      log('4b. proxy vs bare forwarding proxy');
      results.proxyBare = await proxy.runBare({
        db,
        cipher,
        startService,
        startBareProxy,
        apiKey,
        tmp,
        ...config.proxyBare,
        pgDataDir: path.join(tmp, 'pg'),
        statements,
        log,
        profile: Boolean(process.env.BENCH_PROFILE_DIR),
      });
    }

    if (config.only.includes('events')) {
      log('6. inbound provider events, two instances');
      results.events = await events.run({
        db,
        cipher,
        startService,
        apiKey,
        ...config.events,
        pgDataDir: path.join(tmp, 'pg'),
        statements,
        log,
      });
      results.memory.after.events = results.events.after.map((a) => a.rssMb);
    }

    if (config.only.includes('sweep')) {
      log('3. refresh sweep');
      results.sweep = await sweep.run({
        db,
        cipher,
        startService,
        n: config.sweep.n,
        rate: config.sweep.rate,
        knobs: config.sweep.knobs,
        pgDataDir: path.join(tmp, 'pg'),
        statements,
        timeoutMs: config.sweep.timeoutSec * 1000,
        log,
      });
      results.memory.after.sweep = results.sweep.after.map((a) => a.rssMb);
    }
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
  results.durationSec = round((Date.now() - started) / 1000, 1);
  // Others' work on the same cores shows here: compare with loadAverageAtStart before trusting a change.
  results.machine.loadAverageAtEnd = os.loadavg().map((v) => round(v, 2));
  const out = path.join(__dirname, 'results.json');
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `\n${require('./lib/report').table(results)}\nresults: ${path.relative(ROOT, out)}  (total ${results.durationSec} s)`,
  );
  const failed =
    (results.sweep &&
      (results.sweep.lost > 0 || results.sweep.providerCalls !== results.sweep.n || results.sweep.timedOut)) ||
    (results.proxy && !results.proxy.ok) ||
    (results.proxyBare && !results.proxyBare.ok) ||
    (results.events && !results.events.ok);
  process.exitCode = failed ? 1 : 0;
}

main()
  .catch((error) => {
    console.error(`bench failed: ${error.stack || error.message}`);
    process.exitCode = 1;
  })
  // Keep-alive sockets and timers of the load generator would otherwise hold the process open.
  .finally(() => process.exit());
