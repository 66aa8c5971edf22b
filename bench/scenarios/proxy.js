'use strict';
// Scenario 4: the proxy's overhead, GET /proxy/{id}/contacts vs GET /api/contacts straight at the upstream,
// and the service's memory while 50 MB stream through it (run). Scenario 4b (runBare): the proxy against
// a bare forwarding proxy doing the same work (bench/bare-proxy-server.js), same upstream, same load.
const http = require('node:http');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { seedSameToken } = require('../lib/seed');
const {
  cannon,
  cpuTimeMs,
  freePort,
  httpGet,
  machineBusyMs,
  memoryOf,
  percentile,
  postgresCpuMs,
  round,
  startProcess,
} = require('../lib/util');

const MB = 1024 * 1024;

/** Warm-up, then the measured run; CPU per request of every process involved (from /proc). */
async function measure({
  label,
  baseUrl,
  headers,
  nextPath,
  pids,
  pgDataDir,
  statements,
  connections,
  warmupSec,
  durationSec,
  log,
  profilePids = [],
}) {
  log(`  ${label}: warm-up ${warmupSec}s`);
  await cannon({ baseUrl, headers, nextPath, connections, durationSec: warmupSec });
  log(`  ${label}: ${connections} connections for ${durationSec}s`);
  await statements?.reset();
  // With a profiler preloaded (bench/lib/cpu-profile.js): the measured run alone is profiled.
  const toggleProfilers = () => profilePids.forEach((pid) => process.kill(pid, 'SIGWINCH'));
  toggleProfilers();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuTimeMs(pid)]));
  const pgBefore = postgresCpuMs(pgDataDir);
  const machineBefore = machineBusyMs();
  const selfBefore = process.cpuUsage();
  const r = await cannon({ baseUrl, headers, nextPath, connections, durationSec });
  const self = process.cpuUsage(selfBefore);
  toggleProfilers();
  const wallMs = r.duration * 1000;
  const cpuMs = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuTimeMs(pid) - before[name]]));
  cpuMs.postgres = postgresCpuMs(pgDataDir) - pgBefore;
  cpuMs.loadGenerator = (self.user + self.system) / 1000;
  const machineMs = machineBusyMs() - machineBefore;
  const perRequest = (ms) => round((ms * 1000) / r.requests.total, 0);
  const top = await statements?.top(3, r.requests.total);
  return {
    rps: round(r.requests.total / r.duration, 0),
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    meanMs: round(r.latency.mean, 2),
    maxMs: r.latency.max,
    // CPU per request (µs) and share of one core (%) of each process: service, upstream, Postgres, autocannon.
    cpuUsPerRequest: Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, perRequest(ms)])),
    cpuPercent: Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, round((ms / wallMs) * 100, 0)])),
    // All cores of the machine busy (100 % = one core): what the processes above leave to others and the kernel.
    machineBusyPercent: round((machineMs / wallMs) * 100, 0),
    // What the database ran meanwhile (through the proxy: the service's read of the connection per call).
    topStatements: top,
    bytesPerRequest: round(r.throughput.total / r.requests.total, 0),
    requests: r.requests.total,
    durationSec: round(r.duration, 2),
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

/**
 * Requests one at a time (keep-alive), timed with hrtime: the latency the proxy adds to a call that does
 * not queue behind others (autocannon's figures are whole milliseconds).
 */
async function sequential({ label, baseUrl, headers, nextPath, n, warmup, log }) {
  log(`  ${label}: ${n} requests one at a time`);
  for (let i = 0; i < warmup; i++) await httpGet(`${baseUrl}${nextPath()}`, headers);
  const ms = [];
  for (let i = 0; i < n; i++) {
    const res = await httpGet(`${baseUrl}${nextPath()}`, headers);
    if (res.status !== 200) throw new Error(`${label}: ${res.status} on request ${i}`);
    ms.push(res.ms);
  }
  ms.sort((a, b) => a - b);
  return {
    n,
    p50: round(percentile(ms, 50), 3),
    p90: round(percentile(ms, 90), 3),
    p99: round(percentile(ms, 99), 3),
    maxMs: round(ms[ms.length - 1], 3),
  };
}

/**
 * One GET of a large body, read and dropped, while the RSS of `pid` is sampled every 20 ms. With
 * `pauseAtBytes`, the reader stops for `pauseMs` once it has that many bytes (backpressure: a proxy that
 * buffers would grow meanwhile).
 */
function download(url, headers, { pid, pauseAtBytes, pauseMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const rssBeforeMb = pid ? memoryOf(pid).rssMb : null;
    let peak = rssBeforeMb ?? 0;
    const sampler = pid ? setInterval(() => (peak = Math.max(peak, memoryOf(pid).rssMb ?? 0)), 20) : undefined;
    const started = process.hrtime.bigint();
    const done = (error, result) => {
      clearInterval(sampler);
      if (error) reject(error);
      else resolve(result);
    };
    const req = http.get(url, { headers, agent: false }, (res) => {
      let bytes = 0;
      let paused = false;
      res.on('data', (chunk) => {
        bytes += chunk.length;
        if (pauseAtBytes && !paused && bytes >= pauseAtBytes) {
          paused = true;
          res.pause();
          setTimeout(() => res.resume(), pauseMs);
        }
      });
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (pid) peak = Math.max(peak, memoryOf(pid).rssMb ?? 0);
        done(null, {
          status: res.statusCode,
          bytes,
          ms: round(ms, 0),
          mbPerSecond: round(bytes / MB / ((ms - (paused ? pauseMs : 0)) / 1000), 0),
          ...(pid && {
            rssBeforeMb,
            rssPeakMb: round(peak, 1),
            rssGrowthMb: round(peak - rssBeforeMb, 1),
            rssAfterMb: memoryOf(pid).rssMb,
          }),
          ...(pauseAtBytes && { pausedAtMb: round(pauseAtBytes / MB, 0), pauseMs }),
        });
      });
      res.on('error', done);
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', done);
  });
}

async function run({
  db,
  cipher,
  startService,
  apiKey,
  tmp,
  connectionsSeeded,
  concurrency,
  warmupSec,
  durationSec,
  exportMb,
  sequentialN,
  pgDataDir,
  statements,
  log,
}) {
  const token = `KeapAT.proxy.${randomBytes(24).toString('base64url')}`;
  const exportBytes = Math.round(exportMb * MB);
  const upstream = await startProcess({
    name: 'upstream',
    script: path.join(__dirname, '..', 'upstream-server.js'),
    cwd: tmp,
    logDir: tmp,
    readyPath: '/ready',
    env: { PORT: String(await freePort()), UPSTREAM_TOKEN: token, EXPORT_BYTES: String(exportBytes) },
  });
  let service;
  try {
    const ids = await seedSameToken(db, cipher, connectionsSeeded, token);
    log(`  seeded ${ids.length} Keap connections; upstream on ${upstream.baseUrl}`);
    // Production (private targets refused) with Keap's API on 127.0.0.1: allowed, its configured base is private.
    service = await startService('service-proxy', proxyServiceEnv(upstream));

    // Both ways must give the same answer, and the upstream must check the token, before any figure counts.
    const direct = { authorization: `Bearer ${token}` };
    const viaKey = { authorization: `Bearer ${apiKey}` };
    const a = await httpGet(`${upstream.baseUrl}/api/contacts`, direct);
    const refused = await httpGet(`${upstream.baseUrl}/api/contacts`, { authorization: 'Bearer wrong' });
    const b = await httpGet(`${service.baseUrl}/proxy/${ids[0]}/contacts`, viaKey);
    if (a.status !== 200 || refused.status !== 401)
      throw new Error(`upstream answered ${a.status} with the token and ${refused.status} without`);
    if (b.status !== 200 || b.body !== a.body || !/received-status=200/.test(b.headers['proxy-status'] ?? ''))
      throw new Error(`the proxy answered ${b.status} (${b.body.slice(0, 200)}), not the upstream's 200`);

    const result = {
      connectionsSeeded: ids.length,
      concurrency,
      durationSec,
      bodyBytes: Buffer.byteLength(a.body),
      proxyResponseHeaders: Object.keys(b.headers).sort(),
    };
    const ways = {
      direct: {
        label: 'direct (upstream)',
        baseUrl: upstream.baseUrl,
        headers: direct,
        nextPath: () => '/api/contacts',
      },
      proxy: {
        label: 'through the proxy',
        baseUrl: service.baseUrl,
        headers: viaKey,
        nextPath: () => `/proxy/${ids[Math.floor(Math.random() * ids.length)]}/contacts`,
      },
    };
    const common = { pgDataDir, statements, connections: concurrency, warmupSec, durationSec, log };
    result.direct = await measure({ ...common, ...ways.direct, pids: { upstream: upstream.pid } });
    result.proxy = await measure({ ...common, ...ways.proxy, pids: { service: service.pid, upstream: upstream.pid } });
    result.ratio = round(result.proxy.rps / result.direct.rps, 3);
    result.addedP50Ms = round(result.proxy.p50 - result.direct.p50, 2);
    result.addedP99Ms = round(result.proxy.p99 - result.direct.p99, 2);
    result.rssAfterLoadMb = service.memory().rssMb;

    const one = { n: sequentialN, warmup: Math.min(200, sequentialN), log };
    const seq = {
      direct: await sequential({ ...one, ...ways.direct }),
      proxy: await sequential({ ...one, ...ways.proxy }),
      // The proxy's first step alone (the same token read and decrypt, no upstream call), for comparison.
      credentials: await sequential({
        ...one,
        label: 'credentials read',
        baseUrl: service.baseUrl,
        headers: viaKey,
        nextPath: () => `/connections/${ids[Math.floor(Math.random() * ids.length)]}/credentials`,
      }),
    };
    seq.addedP50Ms = round(seq.proxy.p50 - seq.direct.p50, 3);
    seq.addedP99Ms = round(seq.proxy.p99 - seq.direct.p99, 3);
    result.sequential = seq;

    log(`  ${exportMb} MB download: direct, through the proxy twice, then with a reader that pauses`);
    const dl = { bytes: exportBytes };
    dl.direct = await download(`${upstream.baseUrl}/api/export`, direct);
    const url = `${service.baseUrl}/proxy/${ids[0]}/export`;
    dl.proxy = await download(url, viaKey, { pid: service.pid });
    dl.proxyAgain = await download(url, viaKey, { pid: service.pid });
    dl.proxyPausedReader = await download(url, viaKey, {
      pid: service.pid,
      pauseAtBytes: Math.min(10 * MB, Math.floor(exportBytes / 5)),
      pauseMs: 2000,
    });
    for (const [name, d] of Object.entries(dl))
      if (typeof d === 'object' && (d.status !== 200 || d.bytes !== exportBytes))
        throw new Error(`${name} download: ${d.status}, ${d.bytes} of ${exportBytes} bytes`);
    result.download = dl;
    result.ok =
      result.direct.non2xx + result.direct.errors + result.direct.timeouts === 0 &&
      result.proxy.non2xx + result.proxy.errors + result.proxy.timeouts === 0;
    return result;
  } finally {
    await service?.stop();
    await upstream.stop();
  }
}

/** The service as scenario 4 runs it: production, Keap's API at the upstream stand-in. */
const proxyServiceEnv = (upstream, extra = {}) => ({
  KEAP_CLIENT_ID: 'bench-keap-client',
  KEAP_CLIENT_SECRET: 'bench-keap-secret',
  KEAP_API_BASE_URL: `${upstream.baseUrl}/api`,
  // Production refuses private addresses unless the configured API host is allowed by name.
  KEAP_ALLOW_PRIVATE_API_HOST: 'true',
  ...extra,
});

/** Weighted over rounds: req/s over the whole measured time, CPU per request over all requests, latencies averaged. */
function combine(runs) {
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const seconds = runs.reduce((a, r) => a + r.durationSec, 0);
  const mean = (f) => round(runs.reduce((a, r) => a + f(r), 0) / runs.length, 2);
  const cpu = {};
  for (const name of Object.keys(runs[0].cpuUsPerRequest))
    cpu[name] = round(runs.reduce((a, r) => a + r.cpuUsPerRequest[name] * r.requests, 0) / requests, 0);
  return {
    rps: round(requests / seconds, 0),
    p50: mean((r) => r.p50),
    p90: mean((r) => r.p90),
    p99: mean((r) => r.p99),
    cpuUsPerRequest: cpu,
    machineBusyPercent: mean((r) => r.machineBusyPercent),
    requests,
    durationSec: round(seconds, 2),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    timeouts: runs.reduce((a, r) => a + r.timeouts, 0),
  };
}

/**
 * Scenario 4b: GET /proxy/{id}/contacts through the service and through bench/bare-proxy-server.js (bare
 * node:http, the same API-key check, one primary-key row with pg, the service's TokenCipher, a keep-alive
 * undici call to the same upstream process, the answer streamed back), each in its own process, against
 * the same upstream, the same Postgres and the same load. `rounds` alternate the order (bare, service,
 * service, bare, …) so that drift of a busy machine falls on both alike.
 */
async function runBare({
  db,
  cipher,
  startService,
  startBareProxy,
  apiKey,
  tmp,
  connectionsSeeded,
  concurrency,
  warmupSec,
  durationSec,
  rounds,
  serviceEnv = {},
  pgDataDir,
  statements,
  log,
  profile,
}) {
  const token = `KeapAT.proxybare.${randomBytes(24).toString('base64url')}`;
  const upstream = await startProcess({
    name: 'upstream-bare',
    script: path.join(__dirname, '..', 'upstream-server.js'),
    cwd: tmp,
    logDir: tmp,
    readyPath: '/ready',
    env: { PORT: String(await freePort()), UPSTREAM_TOKEN: token, EXPORT_BYTES: String(MB) },
  });
  let service;
  let bare;
  try {
    const ids = await seedSameToken(db, cipher, connectionsSeeded, token);
    service = await startService('service-proxybare', proxyServiceEnv(upstream, serviceEnv));
    bare = await startBareProxy({ upstreamBase: `${upstream.baseUrl}/api` });
    log(
      `  seeded ${ids.length} Keap connections; upstream ${upstream.baseUrl}, service ${service.baseUrl}, bare ${bare.baseUrl}`,
    );

    const viaKey = { authorization: `Bearer ${apiKey}` };
    const direct = await httpGet(`${upstream.baseUrl}/api/contacts`, { authorization: `Bearer ${token}` });
    const answers = {};
    for (const [name, server] of [
      ['service', service],
      ['bare', bare],
    ]) {
      const res = await httpGet(`${server.baseUrl}/proxy/${ids[0]}/contacts`, viaKey);
      if (
        res.status !== 200 ||
        res.body !== direct.body ||
        !/received-status=200/.test(res.headers['proxy-status'] ?? '')
      )
        throw new Error(`${name} answered ${res.status} (${res.body.slice(0, 200)}), not the upstream's 200`);
      const refused = await httpGet(`${server.baseUrl}/proxy/${ids[0]}/contacts`, { authorization: 'Bearer nope' });
      if (refused.status !== 401) throw new Error(`${name} answered ${refused.status} to a wrong key`);
      answers[name] = { responseHeaders: Object.keys(res.headers).sort(), bytes: Buffer.byteLength(res.body) };
    }

    const nextPath = () => `/proxy/${ids[Math.floor(Math.random() * ids.length)]}/contacts`;
    const common = {
      pgDataDir,
      statements,
      connections: concurrency,
      warmupSec,
      durationSec,
      log,
      headers: viaKey,
      nextPath,
    };
    const ways = {
      bare: () =>
        measure({
          ...common,
          label: 'bare forwarding proxy',
          baseUrl: bare.baseUrl,
          pids: { bare: bare.pid, upstream: upstream.pid },
          profilePids: profile ? [bare.pid] : [],
        }),
      service: () =>
        measure({
          ...common,
          label: 'the service',
          baseUrl: service.baseUrl,
          pids: { service: service.pid, upstream: upstream.pid },
          profilePids: profile ? [service.pid] : [],
        }),
    };
    const runs = { bare: [], service: [] };
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? ['bare', 'service'] : ['service', 'bare'];
      for (const way of order) runs[way].push(await ways[way]());
    }
    const result = {
      connectionsSeeded: ids.length,
      concurrency,
      durationSec,
      rounds,
      bodyBytes: Buffer.byteLength(direct.body),
      answers,
      serviceEnv,
      bare: { ...combine(runs.bare), rounds: runs.bare },
      service: { ...combine(runs.service), rounds: runs.service },
    };
    result.ratio = round(result.service.rps / result.bare.rps, 3);
    result.ratioPerRound = runs.service.map((s, i) => round(s.rps / runs.bare[i].rps, 3));
    // Efficiency independent of who else used the cores: bare CPU per request / service CPU per request.
    result.cpuRatio = round(result.bare.cpuUsPerRequest.bare / result.service.cpuUsPerRequest.service, 3);
    result.rssMb = { service: service.memory().rssMb, bare: bare.memory().rssMb };
    result.aim = 'service >= 0.70 x bare forwarding proxy (req/s)';
    result.ok =
      result.bare.non2xx + result.bare.errors + result.bare.timeouts === 0 &&
      result.service.non2xx + result.service.errors + result.service.timeouts === 0;
    return result;
  } finally {
    await service?.stop();
    await bare?.stop();
    await upstream.stop();
  }
}

module.exports = { run, runBare };
