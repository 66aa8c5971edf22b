import { ChildProcess, spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
/** The built service, as `npm start` runs it (the tests use the existing build; they never build). */
export const BUILT_MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/** A service started as its own process. */
export interface SpawnedService {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far, in order of arrival. */
  output(): string;
  /**
   * Its exit code, or the signal's name (Nest re-raises SIGTERM after closing the app). Resolved once
   * its output is all read (the process exited and its pipes closed), so `output()` is complete then.
   */
  exited: Promise<number | string | null>;
}

export interface SpawnOptions {
  /** The script to run: the built service unless another build is meant (the production bundle). */
  main?: string;
  /** The working directory (`.env` is read from it): the repository unless given. */
  cwd?: string;
}

/**
 * `node <main>` with an environment of its own: PATH, HOME and `env`, nothing else of the test's (so
 * no DATABASE_URL, NODE_ENV or key leaks in by accident).
 */
export function spawnService(env: Record<string, string>, options: SpawnOptions = {}): SpawnedService {
  let output = '';
  const child = spawn(process.execPath, [options.main ?? BUILT_MAIN], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: os.homedir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal)),
  );
  return { child, output: () => output, exited };
}

/**
 * Polls `GET /health/ready` until it answers 200. Fails with the service's output if it exits first or
 * is not ready within `timeoutMs`.
 */
export async function waitUntilReady(baseUrl: string, service: SpawnedService, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null || service.child.signalCode !== null)
      throw new Error(`service exited early:\n${service.output()}`);
    const ready = await fetch(`${baseUrl}/health/ready`).then(
      (res) => res.status === 200,
      () => false, // not listening yet
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`service not ready within ${timeoutMs} ms:\n${service.output()}`);
}

/** Output arrives through a pipe, a little after the service has done what wrote it: waits for `text`. */
export async function waitForOutput(service: SpawnedService, text: string, timeoutMs = 5000): Promise<void> {
  for (const started = Date.now(); !service.output().includes(text) && Date.now() - started < timeoutMs;)
    await new Promise((r) => setTimeout(r, 50));
  expect(service.output()).toContain(text);
}

/** SIGTERM, then its exit (code or signal) once its output is all read. */
export async function stopService(service: SpawnedService): Promise<number | string | null> {
  if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
  return service.exited;
}
