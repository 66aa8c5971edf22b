/**
 * Delay before the next attempt after `failures` consecutive failures: exponential from `baseMs`,
 * capped at `maxMs`, with ±50 % jitter so replicas and connections do not retry in lockstep. A
 * provider's Retry-After wins when it says more.
 */
export function backoffDelay(
  failures: number,
  baseMs: number,
  maxMs: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  const jittered = Math.round(exponential * (0.5 + random()));
  return retryAfterMs !== undefined ? Math.max(retryAfterMs, Math.min(jittered, maxMs)) : Math.min(jittered, maxMs);
}
