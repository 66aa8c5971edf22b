'use strict';
// Scenario 1: GET /connections/{id}/credentials over random ids, service vs bare baseline.
const { cannon, cpuTimeMs, httpGet, postgresCpuMs, round } = require('../lib/util');

/** Credentials of random connections, with the API key. */
const credentialsLoad = ({ baseUrl, apiKey, ids, connections, durationSec }) =>
  cannon({
    baseUrl,
    headers: { authorization: `Bearer ${apiKey}` },
    nextPath: () => `/connections/${ids[Math.floor(Math.random() * ids.length)]}/credentials`,
    connections,
    durationSec,
  });

/** Every server must hand out the right plaintext before its numbers count. */
async function checkCorrect(baseUrl, apiKey, expected) {
  let headers;
  for (const { id, accessToken } of expected) {
    const res = await httpGet(`${baseUrl}/connections/${id}/credentials`, { authorization: `Bearer ${apiKey}` });
    const body = res.status === 200 ? JSON.parse(res.body) : {};
    if (res.status !== 200 || body.accessToken !== accessToken || res.headers['cache-control'] !== 'no-store') {
      throw new Error(`${baseUrl} answered ${res.status} with a wrong body for connection ${id}`);
    }
    headers = res.headers;
  }
  return headers;
}

/**
 * Warm-up (JIT, pool, caches; not counted), then the measured run. Returns requests/s, latency
 * percentiles in ms, and error counts (any non-2xx or socket error makes the figures suspect).
 */
async function measure({
  baseUrl,
  pid,
  pgDataDir,
  statements,
  apiKey,
  connections,
  warmupSec,
  durationSec,
  log,
  label,
  sample,
}) {
  const headers = await checkCorrect(baseUrl, apiKey, sample.slice(0, 5));
  const ids = sample.map((c) => c.id);
  log(`  ${label}: warm-up ${warmupSec}s`);
  await credentialsLoad({ baseUrl, apiKey, ids, connections, durationSec: warmupSec });
  log(`  ${label}: ${connections} connections for ${durationSec}s`);
  await statements?.reset();
  const cpuBefore = cpuTimeMs(pid);
  const pgBefore = postgresCpuMs(pgDataDir);
  const selfBefore = process.cpuUsage();
  const r = await credentialsLoad({ baseUrl, apiKey, ids, connections, durationSec });
  const cpuMs = cpuTimeMs(pid) - cpuBefore;
  const pgMs = postgresCpuMs(pgDataDir) - pgBefore;
  const self = process.cpuUsage(selfBefore);
  const wallMs = r.duration * 1000;
  const top = await statements?.top(3, r.requests.total);
  return {
    // CPU the server process spent per request: steadier than req/s on a shared 2-core box.
    cpuUsPerRequest: round((cpuMs * 1000) / r.requests.total, 0),
    postgresCpuUsPerRequest: round((pgMs * 1000) / r.requests.total, 0),
    // Where the 2 cores went: server, Postgres, the load generator (this process), in % of one core.
    cpuPercent: {
      server: round((cpuMs / wallMs) * 100, 0),
      postgres: round((pgMs / wallMs) * 100, 0),
      loadGenerator: round(((self.user + self.system) / 1000 / wallMs) * 100, 0),
    },
    rps: round(r.requests.total / r.duration, 0),
    responseHeaders: Object.keys(headers).sort(),
    // The statements the database ran for this server during the run (pg_stat_statements).
    topStatements: top,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    maxMs: r.latency.max,
    requests: r.requests.total,
    durationSec: round(r.duration, 2),
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

module.exports = { measure };
