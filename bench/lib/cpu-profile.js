'use strict';
/**
 * A CPU profiler to preload into a process the bench starts (`--cpu-prof` is not allowed in NODE_OPTIONS):
 *   BENCH_SERVICE_NODE_OPTIONS="--require /abs/path/bench/lib/cpu-profile.js" BENCH_PROFILE_DIR=/tmp/prof node bench/run.js
 * The proxy scenarios send SIGWINCH to each process they measure right before the measured run (the
 * profiler starts) and again right after it (the profile is written to
 * `$BENCH_PROFILE_DIR/<name>-<pid>-<n>.cpuprofile`, `name` from BENCH_PROFILE_NAME or the script's name),
 * so warm-up and start-up are not in it. Sampling interval: BENCH_PROFILE_INTERVAL_US (default 200).
 * (SIGWINCH: ignored by default, so a process without this preload is not harmed; Nest's shutdown hooks
 * take SIGUSR2, and SIGUSR1 starts Node's inspector.)
 * Read a profile with `node bench/lib/profile-top.js <file>` (or Chrome DevTools / speedscope).
 */
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const dir = process.env.BENCH_PROFILE_DIR || process.cwd();
const name = process.env.BENCH_PROFILE_NAME || path.basename(process.argv[1] || 'node', '.js');
const interval = Number(process.env.BENCH_PROFILE_INTERVAL_US || 200);
const session = new inspector.Session();
session.connect();
let running = false;
let count = 0;

const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

async function toggle() {
  if (!running) {
    running = true;
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval });
    await post('Profiler.start');
    return;
  }
  running = false;
  const { profile } = await post('Profiler.stop');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${process.pid}-${++count}.cpuprofile`);
  fs.writeFileSync(file, JSON.stringify(profile));
  console.error(`cpu profile written: ${file}`);
}

process.on('SIGWINCH', () => {
  toggle().catch((error) => console.error(`cpu profile: ${error.message}`));
});
