'use strict';
/**
 * The top frames of a .cpuprofile (bench/lib/cpu-profile.js): self time per function and per area
 * (app code, each node_modules package, Node's internals, native, GC), in µs per request when the
 * number of requests profiled is given.
 *   node bench/lib/profile-top.js <file.cpuprofile> [requests] [top=30]
 * Also usable as a module: summarize(profile, { requests, top }).
 */
const fs = require('node:fs');

function area(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)' || functionName === '(program)') return functionName;
    return 'native';
  }
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) {
    const mod = url.slice(5).split('/');
    return `node:${mod[1] ?? mod[0]}`;
  }
  const src = /\/(?:dist\/)?src\/(.*)$/.exec(url);
  if (src) return `app: ${src[1].split('/')[0]}`;
  if (url.includes('/bench/')) return `bench: ${url.split('/bench/')[1]}`;
  return url;
}

function summarize(profile, { requests, top = 30 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  // timeDeltas[i] is the time before sample i.
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const dt = deltas[i + 1] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const frames = new Map();
  const areas = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    const fn = callFrame.functionName || '(anonymous)';
    if (fn === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const file = callFrame.url ? callFrame.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/') : '';
    const key = `${fn} ${file}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    frames.set(key, (frames.get(key) ?? 0) + us);
    const a = area(callFrame.url, fn);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const per = (us) => (requests ? Math.round((us / requests) * 10) / 10 : undefined);
  const rank = (map) =>
    [...map.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        sharePercent: Math.round((us / total) * 1000) / 10,
        ...(requests && { usPerRequest: per(us) }),
      }));
  return {
    profiledMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    ...(requests && { requests, busyUsPerRequest: per(total) }),
    areas: rank(areas),
    frames: rank(frames),
  };
}

if (require.main === module) {
  const [file, requests, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/lib/profile-top.js <file.cpuprofile> [requests] [top]');
    process.exit(2);
  }
  const s = summarize(JSON.parse(fs.readFileSync(file, 'utf8')), {
    requests: requests ? Number(requests) : undefined,
    top: top ? Number(top) : 30,
  });
  const row = (r) =>
    `${String(r.sharePercent).padStart(5)} %  ${r.usPerRequest !== undefined ? `${String(r.usPerRequest).padStart(6)} µs  ` : ''}${r.name}`;
  console.log(
    `profiled ${s.profiledMs} ms, busy ${s.busyMs} ms, idle ${s.idleMs} ms${s.requests ? `, ${s.requests} requests, ${s.busyUsPerRequest} µs busy per request` : ''}`,
  );
  console.log('\nby area (self time)');
  for (const r of s.areas) console.log(row(r));
  console.log('\ntop frames (self time)');
  for (const r of s.frames) console.log(row(r));
}

module.exports = { summarize };
