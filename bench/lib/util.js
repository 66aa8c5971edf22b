'use strict';
// Helpers shared by the bench scenarios: child processes, RSS, tiny HTTP client, statistics.
const { spawn } = require('node:child_process');
const autocannon = require('autocannon');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/** The build under test: `npm run bench` builds ./dist first; BENCH_DIST points at another build. */
const DIST = path.resolve(process.env.BENCH_DIST || path.join(ROOT, 'dist'));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size and its high-water mark of a process, in MB (Linux /proc). */
function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number((new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status) || [])[1] || NaN);
    return { rssMb: round(kb('VmRSS') / 1024, 1), peakRssMb: round(kb('VmHWM') / 1024, 1) };
  } catch {
    return { rssMb: null, peakRssMb: null };
  }
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc, clock ticks of 10 ms). */
function cpuTimeMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) state".
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** CPU time all cores have been busy so far (everything but idle and iowait), in ms (Linux /proc/stat). */
function machineBusyMs() {
  try {
    const fields = /^cpu\s+(.*)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))[1].split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
    return busy * 10;
  } catch {
    return NaN;
  }
}

function statFields(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU time of the whole Postgres server so far, in ms: the postmaster (with its reaped children, so
 * backends that already exited count) plus every live child process.
 */
function postgresCpuMs(dataDir) {
  try {
    const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const own = statFields(postmaster);
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const f = statFields(entry);
        if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // exited meanwhile
      }
    }
    return ticks * 10;
  } catch {
    return NaN;
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** GET with timing; resolves {status, headers, body, ms}. */
function httpGet(url, headers = {}, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.get(url, { headers, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

async function waitForHttp(url, { timeoutMs, child, name }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null)
      throw new Error(`${name} exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await httpGet(url, {}, 2000);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} was not ready within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Children of this run, so every exit path (error, timeout, Ctrl-C) stops exactly the processes the
 * bench started, by pid.
 */
const children = new Set();

/**
 * Starts `node <script>` (BENCH_NODE, default this Node) with a clean environment (only PATH/HOME/LANG plus `env`, so a developer's
 * provider credentials or .env cannot change what is measured), stdout+stderr to a log file, and waits
 * until `readyPath` answers 200.
 */
async function startProcess({ name, script, env, cwd, logDir, readyPath = '/health/ready', timeoutMs = 60_000 }) {
  const port = Number(env.PORT);
  const logFile = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(process.env.BENCH_NODE || process.execPath, [script], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG || 'C.UTF-8', ...env },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  children.add(child);
  child.on('exit', () => children.delete(child));
  const handle = {
    name,
    port,
    pid: child.pid,
    child,
    logFile,
    baseUrl: `http://127.0.0.1:${port}`,
    memory: () => memoryOf(child.pid),
    stop: (timeout = 15_000) => stopChild(child, timeout),
  };
  try {
    await waitForHttp(`${handle.baseUrl}${readyPath}`, { timeoutMs, child, name });
  } catch (error) {
    await handle.stop();
    throw new Error(`${error.message}\n--- last lines of ${logFile} ---\n${tail(logFile)}`);
  }
  return handle;
}

/** SIGTERM (graceful: the service drains refreshes), SIGKILL after `timeoutMs`. */
async function stopChild(child, timeoutMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

function killAllChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function round(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    median: round(percentile(s, 50), 3),
    p90: round(percentile(s, 90), 3),
    min: round(s[0], 3),
    max: round(s[s.length - 1], 3),
  };
}

/**
 * autocannon against `baseUrl` for `durationSec`: GET requests with `headers`, each to the path
 * `nextPath()` returns (the hot path's random ids, the proxy's connections).
 */
function cannon({ baseUrl, headers, nextPath, connections, durationSec }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: baseUrl,
        connections,
        duration: durationSec,
        timeout: 10,
        headers,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              req.path = nextPath();
              return req;
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

module.exports = {
  cannon,
  ROOT,
  DIST,
  sleep,
  freePort,
  memoryOf,
  cpuTimeMs,
  machineBusyMs,
  postgresCpuMs,
  httpGet,
  startProcess,
  stopChild,
  killAllChildren,
  round,
  percentile,
  summarize,
  tail,
  agent,
};
