import { backoffDelay } from '../../src/common/backoff';
import { forEachLimited, sleep } from '../../src/common/concurrency';

describe('backoffDelay', () => {
  const mid = () => 0.5; // no jitter
  const low = () => 0; // -50 %
  const high = () => 0.999999; // just under +50 %

  it('doubles from the base with each failure, without jitter at the middle', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, 1000, 1_000_000, undefined, mid))).toEqual([
      1000, 2000, 4000, 8000, 16000,
    ]);
  });

  it('treats zero or negative failures like the first', () => {
    expect(backoffDelay(0, 1000, 60_000, undefined, mid)).toBe(1000);
    expect(backoffDelay(-3, 1000, 60_000, undefined, mid)).toBe(1000);
  });

  it('keeps the jitter within ±50 %', () => {
    expect(backoffDelay(4, 1000, 1_000_000, undefined, low)).toBe(4000);
    expect(backoffDelay(4, 1000, 1_000_000, undefined, high)).toBe(12000);
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(4, 1000, 1_000_000);
      expect(delay).toBeGreaterThanOrEqual(4000);
      expect(delay).toBeLessThanOrEqual(12000);
    }
  });

  it('never exceeds the cap, even with jitter or after very many failures', () => {
    expect(backoffDelay(7, 1000, 60_000, undefined, high)).toBe(60_000);
    expect(backoffDelay(10_000, 1000, 60_000, undefined, high)).toBe(60_000);
    expect(backoffDelay(10_000, 1000, 60_000, undefined, low)).toBe(30_000);
  });

  it('waits at least as long as Retry-After asked, beyond the cap if need be', () => {
    expect(backoffDelay(1, 1000, 60_000, 5000, mid)).toBe(5000);
    expect(backoffDelay(1, 1000, 60_000, 3_600_000, mid)).toBe(3_600_000);
  });

  it('uses its own delay when Retry-After asks for less (even 0)', () => {
    expect(backoffDelay(3, 1000, 60_000, 0, mid)).toBe(4000);
    expect(backoffDelay(3, 1000, 60_000, 100, low)).toBe(2000);
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(backoffDelay(3, 333, 60_000, undefined, () => 0.123))).toBe(true);
  });
});

describe('forEachLimited', () => {
  /** Work that records how many run at once and finishes in a scrambled order. */
  function tracker() {
    let inFlight = 0;
    const state = { max: 0, visited: [] as number[] };
    const work = async (item: number) => {
      inFlight++;
      state.max = Math.max(state.max, inFlight);
      await sleep((item * 7) % 5);
      state.visited.push(item);
      inFlight--;
    };
    return { state, work };
  }

  it.each([1, 2, 3, 8])('never has more than %i in flight and visits every item once', async (limit) => {
    const items = Array.from({ length: 25 }, (_, i) => i);
    const { state, work } = tracker();
    await forEachLimited(items, limit, work);
    expect(state.max).toBe(limit);
    expect([...state.visited].sort((a, b) => a - b)).toEqual(items);
  });

  it('runs at most as many lanes as items', async () => {
    const { state, work } = tracker();
    await forEachLimited([1, 2], 10, work);
    expect(state.max).toBe(2);
    expect(state.visited.sort()).toEqual([1, 2]);
  });

  it('starts items in order', async () => {
    const started: number[] = [];
    await forEachLimited([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      await sleep(item % 2 ? 0 : 3);
    });
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('resolves at once for no items', async () => {
    const work = jest.fn(() => Promise.resolve());
    await forEachLimited([], 3, work);
    expect(work).not.toHaveBeenCalled();
  });

  it('visits duplicate items each time they appear', async () => {
    const seen: string[] = [];
    await forEachLimited(['a', 'a', 'b'], 2, async (item) => {
      seen.push(item);
      await sleep(0);
    });
    expect(seen.sort()).toEqual(['a', 'a', 'b']);
  });

  it('rejects with the first failure', async () => {
    await expect(
      forEachLimited([1, 2, 3], 2, async (item) => {
        await sleep(0);
        if (item === 2) throw new Error('item 2 failed');
      }),
    ).rejects.toThrow('item 2 failed');
  });
});
