'use strict';
// Scenario 6: inbound provider events (POST /events/{provider}/{token}) on two replicas sharing one
// database: events/s, latency and CPU per event, and proof that nothing was lost or stored/forwarded twice.
const autocannon = require('autocannon');
const http = require('node:http');
const path = require('node:path');
const { createHmac, randomBytes } = require('node:crypto');
const { seedEventSubscriptions } = require('../lib/seed');
const { DIST, cpuTimeMs, percentile, postgresCpuMs, round, sleep } = require('../lib/util');

const PROVIDER = 'clickfunnels';
const API_BASE = 'https://accounts.myclickfunnels.com/api/v2';
const EVENT_TYPE = 'contact.created';
// Never called: the dispatcher is off (WEBHOOK_DISPATCH_INTERVAL_MS=0), the deliveries stay in the outbox.
const WEBHOOK_URL = 'http://127.0.0.1:9/bench-never-called';

/**
 * ClickFunnels 2.0's signature as the provider computes it (docs/events.md), written out here on
 * purpose: hex HMAC-SHA256 of `{unix seconds}.{raw body}` with the endpoint's webhook_secret.
 */
const signedHeaders = (secret, body, seconds) => ({
  'content-type': 'application/json',
  'x-webhook-clickfunnels-timestamp': String(seconds),
  'x-webhook-clickfunnels-signature': createHmac('sha256', secret).update(`${seconds}.${body}`).digest('hex'),
});

/**
 * The events both load generators draw from, so every event id is unique across the replicas. Every
 * `1 / duplicateFraction`-th new event is also queued for the *other* replica, whose next request sends
 * it again (the same bytes, signature and event id: a provider's retry racing its first delivery on
 * another replica). Each event keeps what it was answered.
 */
function eventSource({ subscriptions, duplicateFraction, tag }) {
  const events = new Map();
  const again = [[], []];
  let seq = 0;
  const fresh = (replica, { queueAgain = true } = {}) => {
    seq++;
    const sub = subscriptions[seq % subscriptions.length];
    const id = `evt_${tag}_${seq}`;
    const contact = 100_000 + seq;
    // The V2 envelope (developers.myclickfunnels.com, "Webhooks"): about 450 bytes.
    const body = JSON.stringify({
      data: {
        id: contact,
        public_id: `bench${seq.toString(36)}`,
        workspace_id: 4242,
        email_address: `contact${seq}@example.com`,
        first_name: 'Bench',
        last_name: `Contact ${seq}`,
        phone_number: '+15550100',
        time_zone: 'UTC',
        tags: [{ id: 7, name: 'bench' }],
        created_at: new Date().toISOString(),
      },
      event_id: id,
      event_type: EVENT_TYPE,
      subject_id: contact,
      subject_type: 'Contact',
      workspace_id: 4242,
      created_at: new Date().toISOString(),
    });
    const ev = {
      id,
      subscriptionId: sub.subscriptionId,
      path: `/events/${PROVIDER}/${sub.token}`,
      headers: signedHeaders(sub.secret, body, Math.floor(Date.now() / 1000)),
      body,
      planned: 1,
      sends: 0,
      answers: 0,
      ok: 0,
      statuses: [],
    };
    // Exactly the fraction asked for, spread evenly (no randomness: the same run twice sends the same mix).
    if (queueAgain && Math.floor(seq * duplicateFraction) > Math.floor((seq - 1) * duplicateFraction)) {
      ev.planned = 2;
      again[1 - replica].push(ev);
    }
    events.set(id, ev);
    return ev;
  };
  return {
    events,
    /** The next request for `replica`: a queued duplicate first, else a new event. */
    next(replica) {
      const ev = again[replica].shift() ?? fresh(replica);
      ev.sends++;
      const request = { ev, second: ev.sends === 2, path: ev.path, headers: ev.headers, body: ev.body };
      // Its bytes are not needed any more once sent as often as planned.
      if (ev.sends >= ev.planned) ev.headers = ev.body = ev.path = undefined;
      return request;
    },
    /** A new event to send by hand twice (the set-up probe): the request, not queued for the load. */
    probe() {
      const ev = fresh(0, { queueAgain: false });
      ev.planned = ev.sends = 2;
      return { ev, path: ev.path, headers: ev.headers, body: ev.body };
    },
    answered(ev, status) {
      ev.answers++;
      ev.statuses.push(status);
      if (status >= 200 && status < 300) ev.ok++;
    },
  };
}

/** One POST with node:http (no keep-alive); resolves {status, body}. */
function post(baseUrl, { path: p, headers, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${p}`, { method: 'POST', headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${p} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * autocannon against every replica at once for `durationSec`, each request the source's next event for
 * that replica. Per replica: answers by status, 2xx, duplicates sent, and each response's latency (ms,
 * from autocannon's own per-response timing).
 */
async function load({ instances, source, connections, durationSec }) {
  const runs = instances.map(
    (inst, replica) =>
      new Promise((resolve, reject) => {
        const s = { answers: 0, ok: 0, secondOk: 0, statuses: {}, latencies: [] };
        const tracker = autocannon(
          {
            url: inst.baseUrl,
            connections,
            duration: durationSec,
            timeout: 10,
            requests: [
              {
                method: 'POST',
                // The context is the client's (one connection, one request at a time): what it sent last.
                setupRequest: (req, context) => {
                  const next = source.next(replica);
                  context.sent = next;
                  req.path = next.path;
                  req.headers = { ...req.headers, ...next.headers };
                  req.body = next.body;
                  return req;
                },
                onResponse: (status, _body, context) => {
                  const sent = context.sent;
                  if (!sent) return;
                  source.answered(sent.ev, status);
                  s.answers++;
                  s.statuses[status] = (s.statuses[status] ?? 0) + 1;
                  if (status >= 200 && status < 300) {
                    s.ok++;
                    if (sent.second) s.secondOk++;
                  }
                },
              },
            ],
          },
          (error, result) => (error ? reject(error) : resolve({ result, stats: s })),
        );
        tracker.on('response', (_client, _status, _bytes, ms) => s.latencies.push(ms));
      }),
  );
  return Promise.all(runs);
}

/** `inbound_events_total{provider, outcome}` of one instance, by outcome (admin key: all scopes). */
async function outcomes(baseUrl, apiKey) {
  const res = await new Promise((resolve, reject) => {
    http
      .get(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${apiKey}` }, agent: false }, (r) => {
        let text = '';
        r.on('data', (c) => (text += c));
        r.on('end', () => resolve({ status: r.statusCode, text }));
      })
      .on('error', reject);
  });
  if (res.status !== 200) return null;
  const out = {};
  for (const m of res.text.matchAll(/^inbound_events_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (labels.provider === PROVIDER) out[labels.outcome] = Number(m[2]);
  }
  return out;
}

const latencySummary = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  return {
    p50: round(percentile(s, 50), 2),
    p90: round(percentile(s, 90), 2),
    p99: round(percentile(s, 99), 2),
    maxMs: round(s[s.length - 1], 2),
  };
};

/**
 * Every event the load generators sent against what the database holds: each event answered 2xx must
 * be in inbound_events exactly once (its subscription's row) and queued exactly once as a
 * `provider.event` delivery of the same event (inbound_events.delivery_id pointing at it); no event may
 * be there twice, nothing may be there that was not sent.
 */
async function verify(db, source, subscriptionIds) {
  const { rows: inbound } = await db.query(
    `SELECT e.event_id, count(*)::int AS n, min(e.subscription_id::text) AS subscription_id,
            count(*) FILTER (WHERE d.id IS NULL OR d.payload->'data'->>'eventId' IS DISTINCT FROM e.event_id)::int AS unlinked
       FROM inbound_events e LEFT JOIN webhook_deliveries d ON d.id = e.delivery_id
      WHERE e.provider = $1 AND e.subscription_id = ANY($2::uuid[])
      GROUP BY e.event_id`,
    [PROVIDER, subscriptionIds],
  );
  const { rows: forwarded } = await db.query(
    `SELECT payload->'data'->>'eventId' AS event_id, count(*)::int AS n,
            min(payload->'data'->>'subscriptionId') AS subscription_id
       FROM webhook_deliveries
      WHERE event_type = 'provider.event' AND payload->'data'->>'provider' = $1
      GROUP BY 1`,
    [PROVIDER],
  );
  const stored = new Map(inbound.map((r) => [r.event_id, r]));
  const queued = new Map(forwarded.map((r) => [r.event_id, r]));
  const v = {
    eventsSent: 0,
    requestsSent: 0,
    answered2xx: 0,
    duplicatesSent: 0,
    duplicatesAnsweredTwice: 0,
    duplicatesBoth2xx: 0,
    duplicatesForwardedOnce: 0,
    unansweredStored: 0,
    unansweredNotStored: 0,
    lostInbound: 0,
    lostForwarded: 0,
    lost: 0,
    duplicatedInbound: 0,
    duplicatedForwarded: 0,
    duplicated: 0,
    misrouted: 0,
    unlinked: 0,
    stray: 0,
    non2xxStatuses: {},
  };
  for (const ev of source.events.values()) {
    if (ev.sends === 0) continue;
    v.eventsSent++;
    v.requestsSent += ev.sends;
    const s = stored.get(ev.id);
    const q = queued.get(ev.id);
    for (const status of ev.statuses)
      if (status < 200 || status >= 300) v.non2xxStatuses[status] = (v.non2xxStatuses[status] ?? 0) + 1;
    if (ev.ok > 0) {
      v.answered2xx++;
      if (!s) v.lostInbound++;
      if (!q) v.lostForwarded++;
      if (!s || !q) v.lost++;
    } else if (s) v.unansweredStored++;
    else v.unansweredNotStored++;
    if (s?.n > 1) v.duplicatedInbound++;
    if (q?.n > 1) v.duplicatedForwarded++;
    if (s?.n > 1 || q?.n > 1) v.duplicated++;
    if ((s && s.subscription_id !== ev.subscriptionId) || (q && q.subscription_id !== ev.subscriptionId)) v.misrouted++;
    if (s?.unlinked) v.unlinked++;
    if (ev.sends === 2) {
      v.duplicatesSent++;
      if (ev.answers === 2) v.duplicatesAnsweredTwice++;
      if (ev.ok === 2) v.duplicatesBoth2xx++;
      if (q?.n === 1) v.duplicatesForwardedOnce++;
    }
  }
  for (const id of new Set([...stored.keys(), ...queued.keys()])) if (!source.events.has(id)) v.stray++;
  v.inboundRows = inbound.reduce((a, r) => a + r.n, 0);
  v.forwardedRows = forwarded.reduce((a, r) => a + r.n, 0);
  return v;
}

async function run({
  db,
  cipher,
  startService,
  apiKey,
  n,
  concurrency,
  warmupSec,
  durationSec,
  duplicateFraction,
  logLevel,
  poolSize,
  pgDataDir,
  statements,
  log,
}) {
  const { subscriptionSecretContext } = require(path.join(DIST, 'src/provider-events/subscription-context.js'));
  log(`  seeding ${n} ClickFunnels 2.0 connections, one subscription each (token hash, encrypted endpoint secret)`);
  const subscriptions = await seedEventSubscriptions(db, cipher, n, {
    provider: PROVIDER,
    apiBase: API_BASE,
    events: [EVENT_TYPE],
    withSecret: true,
    secretContext: subscriptionSecretContext,
  });
  // Production (no simulators): ClickFunnels is on by its client id and secret; its deliveries are proven
  // with each subscription's own endpoint secret, so the client secret is not what signs.
  const env = {
    CLICKFUNNELS_CLIENT_ID: 'bench-cf-client',
    CLICKFUNNELS_CLIENT_SECRET: 'bench-cf-secret',
    WEBHOOK_URL,
    WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
    WEBHOOK_DISPATCH_INTERVAL_MS: '0',
    // Throughput, not the per-subscription limit (1,200 a minute), is what is measured here.
    EVENTS_RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: logLevel,
    ...(poolSize ? { DATABASE_POOL_SIZE: String(poolSize) } : {}),
  };
  log(`  starting two instances (production, LOG_LEVEL=${logLevel}, dispatcher off) on one database`);
  const instances = await Promise.all([startService('events-1', env), startService('events-2', env)]);
  const source = eventSource({
    subscriptions,
    duplicateFraction,
    tag: `bench${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
  });
  const result = {
    provider: PROVIDER,
    connectionsSeeded: n,
    instances: 2,
    concurrencyPerInstance: concurrency,
    warmupSec,
    durationSec,
    duplicateFraction,
    logLevel,
    outbox: 'WEBHOOK_URL set, dispatcher off: each forwarded event is a pending webhook_deliveries row',
  };
  try {
    // The set-up must be right before any figure counts: a genuine event is taken by each replica (the
    // second time as a duplicate), a wrong signature is refused.
    const probe = source.probe();
    const first = await post(instances[0].baseUrl, probe);
    source.answered(probe.ev, first.status);
    const second = await post(instances[1].baseUrl, probe);
    source.answered(probe.ev, second.status);
    const forged = await post(instances[1].baseUrl, {
      ...probe,
      headers: { ...probe.headers, 'x-webhook-clickfunnels-signature': 'ab'.repeat(32) },
    });
    if (first.status !== 200 || second.status !== 200 || forged.status !== 401)
      throw new Error(
        `probe: genuine event ${first.status} ${first.body.slice(0, 200)}, again ${second.status}, forged ${forged.status} (want 200, 200, 401)`,
      );

    if (warmupSec > 0) {
      log(`  warm-up ${warmupSec}s, ${concurrency} connections per instance`);
      await load({ instances, source, connections: concurrency, durationSec: warmupSec });
    }
    log(`  ${concurrency} connections per instance, both at once, for ${durationSec}s`);
    await statements?.reset();
    const cpu0 = instances.map((inst) => cpuTimeMs(inst.pid));
    const pg0 = postgresCpuMs(pgDataDir);
    const self0 = process.cpuUsage();
    const runs = await load({ instances, source, connections: concurrency, durationSec });
    const self = process.cpuUsage(self0);
    const cpuMs = instances.map((inst, i) => cpuTimeMs(inst.pid) - cpu0[i]);
    const pgMs = postgresCpuMs(pgDataDir) - pg0;
    const wallSec = Math.max(...runs.map((r) => r.result.duration));
    const answers = runs.reduce((a, r) => a + r.stats.answers, 0);
    const ok = runs.reduce((a, r) => a + r.stats.ok, 0);
    const newOk = ok - runs.reduce((a, r) => a + r.stats.secondOk, 0);

    result.eventsPerSecond = round(ok / wallSec, 0);
    // New events only (the duplicates' second deliveries not counted).
    result.distinctEventsPerSecond = round(newOk / wallSec, 0);
    result.latency = latencySummary(runs.flatMap((r) => r.stats.latencies));
    result.perInstance = runs.map((r, i) => ({
      name: instances[i].name,
      eventsPerSecond: round(r.stats.ok / wallSec, 0),
      answers: r.stats.answers,
      duplicatesAnswered2xx: r.stats.secondOk,
      ...latencySummary(r.stats.latencies),
      cpuUsPerEvent: round((cpuMs[i] * 1000) / Math.max(1, r.stats.answers), 0),
      cpuPercent: round((cpuMs[i] / (wallSec * 1000)) * 100, 0),
      statuses: r.stats.statuses,
      errors: r.result.errors,
      timeouts: r.result.timeouts,
    }));
    result.postgresCpuUsPerEvent = round((pgMs * 1000) / Math.max(1, answers), 0);
    result.cpuPercent = {
      postgres: round((pgMs / (wallSec * 1000)) * 100, 0),
      loadGenerator: round(((self.user + self.system) / 1000 / (wallSec * 1000)) * 100, 0),
    };
    result.measuredSec = round(wallSec, 2);
    result.topStatements = await statements?.top(6, Math.max(1, answers));

    // What each replica says it did (over the whole scenario: probe, warm-up and load), once the
    // requests still in flight when autocannon stopped are done.
    await sleep(1500);
    result.outcomes = await Promise.all(instances.map((inst) => outcomes(inst.baseUrl, apiKey)));
    result.after = instances.map((inst) => ({ name: inst.name, ...inst.memory() }));
    // A graceful stop lets the requests still in flight when autocannon stopped finish their transaction.
    await Promise.all(instances.map((inst) => inst.stop()));

    log('  checking every event against inbound_events and webhook_deliveries');
    const v = await verify(
      db,
      source,
      subscriptions.map((s) => s.subscriptionId),
    );
    Object.assign(result, v);
    const sum = (k) => result.outcomes.reduce((a, o) => a + (o?.[k] ?? 0), 0);
    result.outcomesTotal = { forwarded: sum('forwarded'), duplicate: sum('duplicate') };
    result.errors = result.perInstance.reduce((a, p) => a + p.errors + p.timeouts, 0);
    result.status5xx = Object.entries(v.non2xxStatuses)
      .filter(([s]) => Number(s) >= 500)
      .reduce((a, [, c]) => a + c, 0);
    result.non2xx = Object.values(v.non2xxStatuses).reduce((a, c) => a + c, 0);
    result.ok =
      v.lost === 0 &&
      v.duplicated === 0 &&
      v.misrouted === 0 &&
      v.unlinked === 0 &&
      v.stray === 0 &&
      result.non2xx === 0 &&
      result.errors === 0;
    // Cross-check (not a condition: a request may still have been in flight when the metrics were read):
    // the replicas' own count of what they forwarded is what the outbox holds.
    result.outcomesMatchOutbox = result.outcomesTotal.forwarded === v.forwardedRows;
    return result;
  } finally {
    await Promise.all(instances.map((inst) => inst.stop()));
  }
}

module.exports = { run };
