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

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}
