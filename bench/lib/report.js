'use strict';
// The one table `npm run bench` prints, from the results object (same data as bench/results.json).

const fmt = (v, unit = '') =>
  v === null || v === undefined || Number.isNaN(v)
    ? '-'
    : `${typeof v === 'number' ? v.toLocaleString('en') : v}${unit}`;

function render(rows) {
  const widths = [0, 0, 0];
  for (const row of rows)
    if (Array.isArray(row)) row.forEach((cell, i) => (widths[i] = Math.max(widths[i], String(cell).length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const out = [line];
  for (const row of rows) {
    if (row === '-') out.push(line);
    else if (typeof row === 'string') out.push(`| ${row.padEnd(widths.reduce((a, b) => a + b, 0) + 6)} |`);
    else out.push(`| ${row.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`);
  }
  out.push(line);
  return out.join('\n');
}

function table(r) {
  const rows = [];
  const m = r.machine;
  rows.push([
    'machine',
    `${m.cpus} CPUs, ${m.memoryGb} GB, Node ${m.node}${m.serviceNode !== m.node ? ` (service on ${m.serviceNode})` : ''}, Postgres ${m.postgres}, load ${m.loadAverageAtStart?.[0]} at start, ${m.loadAverageAtEnd?.[0]} at end`,
    '',
  ]);
  rows.push('-');
  const h = r.hotPath;
  if (h) {
    rows.push([
      `1. credentials hot path`,
      `${h.connectionsSeeded} connections, ${h.concurrency} concurrent, ${h.durationSec} s`,
      'errors',
    ]);
    const line = (name, x) => [
      `   ${name}`,
      `${fmt(x.rps)} req/s   p50 ${fmt(x.p50, ' ms')}   p99 ${fmt(x.p99, ' ms')}   CPU/req ${fmt(x.cpuUsPerRequest, ' us')} (+pg ${fmt(x.postgresCpuUsPerRequest, ' us')})`,
      `${x.non2xx + x.errors + x.timeouts}`,
    ];
    rows.push(line('baseline (node:http+pg)', h.baseline));
    rows.push(line('service, LOG_LEVEL=warn', h.service));
    rows.push(line('service, LOG_LEVEL=info', h.serviceLogInfo));
    if (h.serviceScopedKey) rows.push(line('service, info, scoped table key', h.serviceScopedKey));
    rows.push([
      '   ratio service/baseline',
      `req/s ${fmt(h.ratio)} (warn), ${fmt(h.ratioLogInfo)} (info), ${fmt(h.ratioScopedKey)} (scoped key); aim >= 0.70`,
      h.ratio >= 0.7 ? 'met' : 'NOT met',
    ]);
    rows.push([
      '   CPU efficiency vs baseline',
      `${fmt(h.cpuRatio)} (warn), ${fmt(h.cpuRatioLogInfo)} (info), ${fmt(h.cpuRatioScopedKey)} (scoped key)  [baseline CPU/req / service CPU/req]`,
      '',
    ]);
    const q = (x) => x.topStatements?.[0];
    if (q(h.service) && q(h.baseline)) {
      rows.push([
        '   the SELECT, in Postgres',
        `service ${fmt(q(h.service).meanExecUs, ' us')} exec + ${fmt(q(h.service).meanPlanUs, ' us')} plan; baseline ${fmt(q(h.baseline).meanExecUs, ' us')} + ${fmt(q(h.baseline).meanPlanUs, ' us')}`,
        '',
      ]);
    }
    const c = h.service.cpuPercent;
    rows.push([
      '   cores busy (service run)',
      `service ${fmt(c.server, '%')}, Postgres ${fmt(c.postgres, '%')}, load generator ${fmt(c.loadGenerator, '%')} of one core`,
      '',
    ]);
    rows.push('-');
  }
  const l = r.list;
  if (l) {
    rows.push([
      `2. list (provider=keap, limit=${l.limit})`,
      `${fmt(l.tableRows)} rows (${fmt(l.keapRows)} keap), loaded in ${fmt(Math.round(l.loadMs / 100) / 10, ' s')}`,
      '',
    ]);
    rows.push([
      '   page 1',
      `median ${fmt(l.page1.median, ' ms')}   p90 ${fmt(l.page1.p90, ' ms')}   (${l.page1.n} samples)`,
      '',
    ]);
    rows.push([
      `   page ${fmt(l.deepPage)}`,
      `median ${fmt(l.page5000.median, ' ms')}   p90 ${fmt(l.page5000.p90, ' ms')}   (${l.page5000.n} samples)`,
      '',
    ]);
    rows.push(['   ratio deep/page 1', fmt(l.ratio), l.ratio <= 1.5 ? 'flat' : 'GROWS']);
    rows.push([`   EXPLAIN ANALYZE at page ${l.deepPage}`, 'plan (scans)', 'exec ms']);
    for (const e of l.explain) {
      const kind = e.indexScan
        ? 'index scan'
        : e.bitmapIndexScan
          ? 'bitmap index scan'
          : e.seqScan
            ? 'SEQ SCAN'
            : 'no index';
      const scans = e.scans
        .map((x) =>
          x.replace(
            /^(Index Scan Backward|Index Scan|Index Only Scan|Bitmap Index Scan|Bitmap Heap Scan) (using|on) /,
            '',
          ),
        )
        .join(', ');
      rows.push([
        `     ${e.filter}`,
        `${kind}: ${scans}${e.sort ? ' + Sort' : ''}${e.rowsRemovedByFilter ? `, ${e.rowsRemovedByFilter} rows filtered` : ''}`,
        fmt(e.executionMs),
      ]);
    }
    rows.push('-');
  }
  const s = r.sweep;
  if (s) {
    rows.push([
      `3. refresh sweep`,
      `${fmt(s.n)} due Keap, budget ${fmt(s.ratePerSecond)}/s, ${s.instances} instances (batch ${s.knobs.batchSize}, concurrency ${s.knobs.concurrency}, pool ${s.knobs.poolSize})`,
      '',
    ]);
    rows.push([
      '   elapsed vs ideal',
      `${fmt(s.elapsedMs, ' ms')} vs ${fmt(s.idealMs, ' ms')} (x${fmt(s.elapsedVsIdeal)})${s.timedOut ? ' TIMED OUT' : ''}`,
      '',
    ]);
    rows.push([
      '   rate',
      `${fmt(s.achievedPerSecond)}/s overall, ${fmt(s.steadyPerSecond)}/s first to last refresh; first after ${fmt(s.firstRefreshMs, ' ms')}`,
      '',
    ]);
    rows.push([
      '   busiest second at the provider',
      `${fmt(s.busiestSecondCalls)} calls (budget ${fmt(s.ratePerSecond)}/s); steady pace ${fmt(Math.round((s.steadyPerSecond / s.ratePerSecond) * 100))} % of the budget`,
      s.busiestSecondCalls <= s.ratePerSecond ? 'within' : 'OVER',
    ]);
    rows.push([
      '   provider refresh calls',
      `${fmt(s.providerCalls)} (failed ${fmt(s.providerCallsFailed)})`,
      s.providerCalls === s.n ? '= N' : '!= N',
    ]);
    rows.push([
      '   lost / dead connections',
      `${fmt(s.lost)} (not active ${fmt(s.notActive)}, not refreshed ${fmt(s.notRefreshed)}, refreshed twice ${fmt(s.refreshedTwice)})`,
      s.lost === 0 ? 'ok' : 'LOST',
    ]);
    rows.push([
      '   database work per refresh',
      `${fmt(s.db.commitsPerRefresh)} commits, ${fmt(s.db.refreshBudgetUpdatesPerRefresh)} budget-row updates, ${fmt(s.db.connectionUpdatesPerRefresh)} connection-row updates`,
      '',
    ]);
    rows.push([
      '   CPU per refresh',
      `instances ${fmt(s.cpu.instancesMsPerRefresh, ' ms')} (${s.cpu.instancesPercent.map((p) => fmt(p, '%')).join(' + ')}), Postgres ${fmt(s.cpu.postgresMsPerRefresh, ' ms')} (${fmt(s.cpu.postgresPercent, '%')})`,
      '',
    ]);
    for (const t of (s.topStatements ?? []).slice(0, 3)) {
      rows.push([
        `   db: ${t.query.slice(0, 24)}…`,
        `${fmt(t.callsPerUnit)} per refresh, mean ${fmt(t.meanExecUs, ' us')} (incl. lock waits), ${fmt(Math.round(t.totalMs), ' ms')} total`,
        '',
      ]);
    }
    rows.push([
      '   peak RSS of the instances',
      s.perInstance.map((p) => `${p.name} ${fmt(p.sampledPeakRssMb, ' MB')}`).join(', '),
      '',
    ]);
    rows.push([
      '   idle claim on the big table',
      s.idleClaimExplain.map((e) => `${e.provider} ${fmt(e.executionMs, ' ms')}`).join(', '),
      '',
    ]);
    rows.push('-');
  }
  const p = r.proxy;
  if (p) {
    rows.push([
      `4. proxy (GET, ${fmt(p.bodyBytes)} B JSON)`,
      `${p.connectionsSeeded} Keap connections, ${p.concurrency} concurrent, ${p.durationSec} s; upstream: node:http`,
      'errors',
    ]);
    const line = (name, x, cpu) => [
      `   ${name}`,
      `${fmt(x.rps)} req/s   p50 ${fmt(x.p50, ' ms')}   p99 ${fmt(x.p99, ' ms')}   ${cpu}`,
      `${x.non2xx + x.errors + x.timeouts}`,
    ];
    const c = p.proxy.cpuUsPerRequest;
    rows.push(line('direct (upstream)', p.direct, `upstream CPU/req ${fmt(p.direct.cpuUsPerRequest.upstream, ' us')}`));
    rows.push(
      line(
        'through the proxy',
        p.proxy,
        `service CPU/req ${fmt(c.service, ' us')} (+pg ${fmt(c.postgres, ' us')}, upstream ${fmt(c.upstream, ' us')})`,
      ),
    );
    rows.push([
      '   proxy vs direct',
      `req/s ratio ${fmt(p.ratio)}; added p50 ${fmt(p.addedP50Ms, ' ms')}, p99 ${fmt(p.addedP99Ms, ' ms')}`,
      '',
    ]);
    const pc = p.proxy.cpuPercent;
    rows.push([
      '   cores busy (proxy run)',
      `service ${fmt(pc.service, '%')}, upstream ${fmt(pc.upstream, '%')}, Postgres ${fmt(pc.postgres, '%')}, load generator ${fmt(pc.loadGenerator, '%')} of one core; machine ${fmt(p.proxy.machineBusyPercent, '%')}`,
      '',
    ]);
    const sq = p.sequential;
    if (sq) {
      rows.push([
        `   one at a time (${fmt(sq.direct.n)} each)`,
        `direct p50 ${fmt(sq.direct.p50, ' ms')} p99 ${fmt(sq.direct.p99, ' ms')}; proxy p50 ${fmt(sq.proxy.p50, ' ms')} p99 ${fmt(sq.proxy.p99, ' ms')}; added p50 ${fmt(sq.addedP50Ms, ' ms')}, p99 ${fmt(sq.addedP99Ms, ' ms')}`,
        '',
      ]);
    }
    const d = p.download;
    if (d) {
      const mb = Math.round(d.bytes / 2 ** 20);
      rows.push([
        `   ${mb} MB download`,
        `direct ${fmt(d.direct.ms, ' ms')} (${fmt(d.direct.mbPerSecond)} MB/s), proxy ${fmt(d.proxy.ms, ' ms')} (${fmt(d.proxy.mbPerSecond)} MB/s)`,
        '',
      ]);
      rows.push([
        '   service RSS during it',
        `before ${fmt(d.proxy.rssBeforeMb, ' MB')}, peak ${fmt(d.proxy.rssPeakMb, ' MB')} (+${fmt(d.proxy.rssGrowthMb, ' MB')}); again: peak ${fmt(d.proxyAgain.rssPeakMb, ' MB')} (+${fmt(d.proxyAgain.rssGrowthMb, ' MB')})`,
        '',
      ]);
      const z = d.proxyPausedReader;
      rows.push([
        `   reader paused ${fmt(z.pauseMs / 1000, ' s')} at ${fmt(z.pausedAtMb, ' MB')}`,
        `before ${fmt(z.rssBeforeMb, ' MB')}, peak ${fmt(z.rssPeakMb, ' MB')} (+${fmt(z.rssGrowthMb, ' MB')}), ${fmt(z.ms, ' ms')} in all`,
        '',
      ]);
    }
    rows.push('-');
  }
  const pb = r.proxyBare;
  if (pb) {
    rows.push([
      `4b. proxy vs bare forwarding proxy`,
      `${pb.connectionsSeeded} Keap connections, ${pb.concurrency} concurrent, ${pb.rounds} x ${pb.durationSec} s each, alternating`,
      'errors',
    ]);
    const line = (name, x, own) => [
      `   ${name}`,
      `${fmt(x.rps)} req/s   p50 ${fmt(x.p50, ' ms')}   p99 ${fmt(x.p99, ' ms')}   CPU/req ${fmt(x.cpuUsPerRequest[own], ' us')} (+pg ${fmt(x.cpuUsPerRequest.postgres, ' us')}, upstream ${fmt(x.cpuUsPerRequest.upstream, ' us')}, autocannon ${fmt(x.cpuUsPerRequest.loadGenerator, ' us')})`,
      `${x.non2xx + x.errors + x.timeouts}`,
    ];
    rows.push(line('bare (node:http+pg+undici)', pb.bare, 'bare'));
    rows.push(line('the service', pb.service, 'service'));
    rows.push([
      '   ratio service/bare',
      `req/s ${fmt(pb.ratio)} (rounds ${pb.ratioPerRound.map((x) => fmt(x)).join(', ')}); CPU efficiency ${fmt(pb.cpuRatio)}; aim >= 0.70`,
      pb.ratio >= 0.7 ? 'met' : 'NOT met',
    ]);
    rows.push('-');
  }
  const mem = r.memory;
  rows.push(['5. memory (RSS)', `idle ${fmt(mem.idleMb, ' MB')}`, '']);
  if (mem.after.hotPath !== undefined)
    rows.push([
      '   after hot path',
      `${fmt(mem.after.hotPath, ' MB')} (info-level instance ${fmt(mem.after.hotPathLogInfo, ' MB')}; baseline ${fmt(h?.baseline?.rssMb, ' MB')})`,
      '',
    ]);
  if (mem.after.list !== undefined) rows.push(['   after list', fmt(mem.after.list, ' MB'), '']);
  if (mem.after.proxy !== undefined) rows.push(['   proxy instance after its load', fmt(mem.after.proxy, ' MB'), '']);
  if (mem.after.sweep !== undefined)
    rows.push(['   after sweep', mem.after.sweep.map((v) => fmt(v, ' MB')).join(', '), '']);
  if (mem.after.events !== undefined)
    rows.push(['   events instances after load', mem.after.events.map((v) => fmt(v, ' MB')).join(', '), '']);
  const e = r.events;
  if (e) {
    rows.push('-');
    rows.push([
      `6. provider events (${e.provider})`,
      `${fmt(e.connectionsSeeded)} subscriptions, ${e.instances} instances x ${e.concurrencyPerInstance} connections, ${e.durationSec} s, ${fmt(Math.round(e.duplicateFraction * 100))} % sent twice`,
      'errors',
    ]);
    rows.push([
      '   both instances',
      `${fmt(e.eventsPerSecond)} events/s (${fmt(e.distinctEventsPerSecond)} new)   p50 ${fmt(e.latency.p50, ' ms')}   p99 ${fmt(e.latency.p99, ' ms')}`,
      `${e.non2xx + e.errors}`,
    ]);
    for (const p of e.perInstance)
      rows.push([
        `   ${p.name}`,
        `${fmt(p.eventsPerSecond)} events/s   p50 ${fmt(p.p50, ' ms')}   p99 ${fmt(p.p99, ' ms')}   CPU/event ${fmt(p.cpuUsPerEvent, ' us')} (${fmt(p.cpuPercent, '%')})`,
        `${p.errors + p.timeouts}`,
      ]);
    rows.push([
      '   Postgres, load generator',
      `Postgres CPU/event ${fmt(e.postgresCpuUsPerEvent, ' us')} (${fmt(e.cpuPercent.postgres, '%')}), load generator ${fmt(e.cpuPercent.loadGenerator, '%')} of one core`,
      '',
    ]);
    rows.push([
      '   checked',
      `${fmt(e.eventsSent)} events (${fmt(e.answered2xx)} answered 2xx), ${fmt(e.duplicatesSent)} sent twice (both 2xx ${fmt(e.duplicatesBoth2xx)}); rows: inbound ${fmt(e.inboundRows)}, outbox ${fmt(e.forwardedRows)}`,
      `5xx ${fmt(e.status5xx)}`,
    ]);
    rows.push([
      '   lost / duplicated',
      `lost ${fmt(e.lost)} (inbound ${fmt(e.lostInbound)}, outbox ${fmt(e.lostForwarded)}), duplicated ${fmt(e.duplicated)} (inbound ${fmt(e.duplicatedInbound)}, outbox ${fmt(e.duplicatedForwarded)}), misrouted ${fmt(e.misrouted)}, stray ${fmt(e.stray)}`,
      e.ok ? 'ok' : 'FAILED',
    ]);
  }
  return render(rows);
}

module.exports = { table };
