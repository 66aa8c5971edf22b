import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { LeasedBatches, LeasedQueue } from '../../src/common/leased-queue';
import { gate, waitFor, within } from '../support/wait';

/** Rows 1..n in a queue; a claim takes the next ones; a held row's work waits for its gate. */
class FakeRows {
  private readonly due: number[];
  readonly claims: number[] = [];
  readonly started: number[] = [];
  readonly finished: number[] = [];
  readonly released: number[] = [];
  readonly errors: [number, unknown][] = [];
  private readonly gates = new Map<number, ReturnType<typeof gate>>();
  private readonly failing = new Set<number>();
  inFlight = 0;
  maxInFlight = 0;

  constructor(n: number) {
    this.due = Array.from({ length: n }, (_, i) => i + 1);
  }

  hold(...rows: number[]): void {
    for (const row of rows) this.gates.set(row, gate());
  }

  let(...rows: number[]): void {
    for (const row of rows) this.gates.get(row)!.release();
  }

  fail(...rows: number[]): void {
    for (const row of rows) this.failing.add(row);
  }

  batches(options: Partial<LeasedBatches<number>> = {}): LeasedBatches<number> {
    return {
      claim: async (limit) => {
        this.claims.push(limit);
        return this.due.splice(0, limit);
      },
      process: async (row) => {
        this.started.push(row);
        this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
        try {
          await this.gates.get(row)?.promise;
          if (this.failing.has(row)) throw new Error(`row ${row} failed`);
          this.finished.push(row);
        } finally {
          this.inFlight--;
        }
      },
      onError: (row, error) => this.errors.push([row, error]),
      release: async (rows) => {
        this.released.push(...rows);
      },
      batchSize: 3,
      maxBatches: 10,
      concurrency: 2,
      ...options,
    };
  }
}

const quiet = () => {
  const logger = new Logger('test');
  jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  return logger;
};

describe('LeasedQueue: the timer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs the work on every tick of its interval, registered under its name, with the clock of the tick', async () => {
    const scheduler = new SchedulerRegistry();
    const runs: Date[] = [];
    const queue = new LeasedQueue('q', scheduler, quiet(), async (now) => {
      runs.push(now);
      return runs.length;
    });
    queue.start(1000, 'run failed');
    expect(scheduler.doesExist('interval', 'q')).toBe(true);
    await jest.advanceTimersByTimeAsync(999);
    expect(runs).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);
    expect(runs[0].getTime()).toBe(Date.now());
    await jest.advanceTimersByTimeAsync(2000);
    expect(runs).toHaveLength(3);
    await queue.stop();
  });

  it('an interval of 0 (or less) leaves the timer off: only run() runs it', async () => {
    const scheduler = new SchedulerRegistry();
    const work = jest.fn().mockResolvedValue('done');
    const queue = new LeasedQueue('q', scheduler, quiet(), work);
    queue.start(0, 'run failed');
    queue.start(-5, 'run failed');
    expect(scheduler.doesExist('interval', 'q')).toBe(false);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(work).not.toHaveBeenCalled();
    const now = new Date('2030-01-01T00:00:00Z');
    expect(await queue.run(now)).toBe('done');
    expect(work).toHaveBeenCalledWith(now);
    await queue.stop();
  });

  it('a tick while a run is in progress starts no second run; the next free tick does', async () => {
    const held = gate();
    let running = 0;
    let overlapped = false;
    let runs = 0;
    const queue = new LeasedQueue('q', new SchedulerRegistry(), quiet(), async () => {
      overlapped ||= running > 0;
      running++;
      runs++;
      if (runs === 1) await held.promise;
      running--;
    });
    queue.start(100, 'run failed');
    await jest.advanceTimersByTimeAsync(100);
    expect(runs).toBe(1);
    await jest.advanceTimersByTimeAsync(500);
    expect(runs).toBe(1);
    held.release();
    await jest.advanceTimersByTimeAsync(100);
    expect(runs).toBe(2);
    expect(overlapped).toBe(false);
    await queue.stop();
  });

  it('a run that throws is logged with the failure message and the timer goes on', async () => {
    const logger = new Logger('test');
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    let runs = 0;
    const boom = new Error('database down');
    const queue = new LeasedQueue('q', new SchedulerRegistry(), logger, async () => {
      if (++runs === 1) throw boom;
    });
    queue.start(100, 'run failed');
    await jest.advanceTimersByTimeAsync(100);
    expect(logged).toHaveBeenCalledWith({ err: boom }, 'run failed');
    await jest.advanceTimersByTimeAsync(100);
    expect(runs).toBe(2);
    await queue.stop();
  });

  it('stop() removes the timer: no tick runs after it', async () => {
    const scheduler = new SchedulerRegistry();
    const work = jest.fn().mockResolvedValue(undefined);
    const queue = new LeasedQueue('q', scheduler, quiet(), work);
    queue.start(100, 'run failed');
    await queue.stop();
    expect(scheduler.doesExist('interval', 'q')).toBe(false);
    expect(queue.stopped).toBe(true);
    await jest.advanceTimersByTimeAsync(1000);
    expect(work).not.toHaveBeenCalled();
  });
});

describe('LeasedQueue: run and stop', () => {
  it('run() during a run joins it instead of starting another', async () => {
    const held = gate();
    const work = jest.fn(async () => {
      await held.promise;
      return 'report';
    });
    const queue = new LeasedQueue('q', new SchedulerRegistry(), quiet(), work);
    const first = queue.run();
    const second = queue.run();
    held.release();
    expect(await first).toBe('report');
    expect(await second).toBe('report');
    expect(work).toHaveBeenCalledTimes(1);
    // Once it is over, the next run() is a new run.
    await queue.run();
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('stop() waits for the run in flight, and resolves even when that run fails', async () => {
    const held = gate();
    const queue = new LeasedQueue('q', new SchedulerRegistry(), quiet(), async () => {
      await held.promise;
      throw new Error('late failure');
    });
    const run = queue.run();
    run.catch(() => undefined);
    let stopped = false;
    const stopping = queue.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    held.release();
    await within(stopping, 1000, 'stop');
    await expect(run).rejects.toThrow('late failure');
  });
});

describe('LeasedQueue.drain', () => {
  const queueOf = (rows: FakeRows, each: (q: LeasedQueue<number>) => LeasedBatches<number>) => {
    const queue: LeasedQueue<number> = new LeasedQueue('q', new SchedulerRegistry(), quiet(), () =>
      queue.drain(each(queue)),
    );
    return queue;
  };

  it('claims batch after batch of batchSize until a claim comes back short, works every row once, returns how many it claimed', async () => {
    const rows = new FakeRows(7);
    const queue = queueOf(rows, () => rows.batches());
    expect(await queue.run()).toBe(7);
    expect(rows.claims).toEqual([3, 3, 3]);
    expect(rows.finished.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(rows.released).toEqual([]);
  });

  it('an exact multiple ends with one empty claim; an empty queue is one claim and nothing else', async () => {
    const six = new FakeRows(6);
    expect(await queueOf(six, () => six.batches()).run()).toBe(6);
    expect(six.claims).toEqual([3, 3, 3]);
    const none = new FakeRows(0);
    expect(await queueOf(none, () => none.batches()).run()).toBe(0);
    expect(none.claims).toEqual([3]);
  });

  it('claims at most maxBatches times in one run; the rest waits for the next run', async () => {
    const rows = new FakeRows(20);
    const queue = queueOf(rows, () => rows.batches({ maxBatches: 2 }));
    expect(await queue.run()).toBe(6);
    expect(rows.claims).toHaveLength(2);
    expect(await queue.run()).toBe(6);
    expect(rows.finished).toHaveLength(12);
  });

  it('works at most `concurrency` rows at once, and the next batch is claimed only when this one is done', async () => {
    const rows = new FakeRows(5);
    rows.hold(1, 2, 3, 4, 5);
    const run = queueOf(rows, () => rows.batches({ concurrency: 2 })).run();
    await waitFor(() => rows.started.length === 2, 'two rows in work');
    expect(rows.started).toEqual([1, 2]);
    rows.let(1);
    await waitFor(() => rows.started.length === 3, 'the third row started');
    expect(rows.maxInFlight).toBe(2);
    expect(rows.claims).toHaveLength(1);
    rows.let(2, 3);
    await waitFor(() => rows.claims.length === 2, 'the second batch claimed');
    rows.let(4, 5);
    expect(await run).toBe(5);
    expect(rows.maxInFlight).toBe(2);
  });

  it('concurrency 1 works the rows one after another, in claim order', async () => {
    const rows = new FakeRows(5);
    await queueOf(rows, () => rows.batches({ concurrency: 1 })).run();
    expect(rows.maxInFlight).toBe(1);
    expect(rows.finished).toEqual([1, 2, 3, 4, 5]);
  });

  it('with onError, a row that throws is handed to it and every other row is still worked, later batches too', async () => {
    const rows = new FakeRows(7);
    rows.fail(2, 4);
    expect(await queueOf(rows, () => rows.batches()).run()).toBe(7);
    expect(rows.finished.sort()).toEqual([1, 3, 5, 6, 7]);
    expect(rows.errors.map(([row, error]) => [row, (error as Error).message])).toEqual([
      [2, 'row 2 failed'],
      [4, 'row 4 failed'],
    ]);
  });

  it('without onError, the first error ends the run: no further row starts, no further claim, the run rejects with it', async () => {
    const rows = new FakeRows(6);
    rows.fail(2);
    const run = queueOf(rows, () => rows.batches({ onError: undefined, release: undefined, concurrency: 1 })).run();
    await expect(run).rejects.toThrow('row 2 failed');
    expect(rows.started).toEqual([1, 2]);
    expect(rows.finished).toEqual([1]);
    // Row 3 was claimed but never started (without release its lease runs out); no second claim.
    expect(rows.claims).toHaveLength(1);
    expect(rows.released).toEqual([]);
  });

  it('without onError, the run waits for the rows in work before it rejects', async () => {
    const rows = new FakeRows(3);
    rows.hold(1);
    rows.fail(2);
    let settled = false;
    const run = queueOf(rows, () => rows.batches({ onError: undefined, release: undefined }))
      .run()
      .finally(() => (settled = true));
    run.catch(() => undefined);
    await waitFor(() => rows.started.length === 2, 'rows 1 and 2 started');
    await Promise.resolve();
    expect(settled).toBe(false);
    rows.let(1);
    await expect(run).rejects.toThrow('row 2 failed');
    expect(rows.finished).toEqual([1]);
    expect(rows.started).toEqual([1, 2]);
  });

  it('without onError but with release, the rows the error kept from starting are handed back', async () => {
    const rows = new FakeRows(3);
    rows.fail(1);
    const run = queueOf(rows, () => rows.batches({ onError: undefined, concurrency: 1 })).run();
    await expect(run).rejects.toThrow('row 1 failed');
    expect(rows.released).toEqual([2, 3]);
    expect(rows.finished).toEqual([]);
  });

  describe('at stop()', () => {
    it('the rows in work finish, unstarted claimed rows are handed back through release, and no claim follows', async () => {
      const rows = new FakeRows(10);
      rows.hold(1, 2);
      const queue = queueOf(rows, () => rows.batches());
      const run = queue.run();
      await waitFor(() => rows.started.length === 2, 'two rows in work');
      const stopping = queue.stop();
      rows.let(1, 2);
      await within(stopping, 1000, 'stop');
      expect(await run).toBe(3);
      expect(rows.finished.sort()).toEqual([1, 2]);
      expect(rows.released).toEqual([3]);
      expect(rows.claims).toHaveLength(1);
    });

    it('stop() resolves only after the rows in work are done', async () => {
      const rows = new FakeRows(2);
      rows.hold(1);
      const queue = queueOf(rows, () => rows.batches());
      const run = queue.run();
      await waitFor(() => rows.started.length === 2, 'both rows in work');
      let stopped = false;
      const stopping = queue.stop().then(() => (stopped = true));
      await waitFor(() => rows.finished.includes(2), 'row 2 done');
      expect(stopped).toBe(false);
      rows.let(1);
      await within(stopping, 1000, 'stop');
      expect(rows.finished.sort()).toEqual([1, 2]);
      await run;
    });

    it('without release, every row already claimed is worked (the stop only prevents the next claim)', async () => {
      const rows = new FakeRows(10);
      rows.hold(1);
      const queue = queueOf(rows, () => rows.batches({ release: undefined, concurrency: 1 }));
      const run = queue.run();
      await waitFor(() => rows.started.length === 1, 'row 1 in work');
      const stopping = queue.stop();
      rows.let(1);
      await within(stopping, 1000, 'stop');
      expect(await run).toBe(3);
      expect(rows.finished).toEqual([1, 2, 3]);
      expect(rows.claims).toHaveLength(1);
    });

    it('a run() after stop claims nothing', async () => {
      const rows = new FakeRows(3);
      const queue = queueOf(rows, () => rows.batches());
      await queue.stop();
      expect(await queue.run()).toBe(0);
      expect(rows.claims).toEqual([]);
    });

    it('a claim in progress when stop() comes is awaited, and its rows are handed back', async () => {
      const rows = new FakeRows(3);
      const claimHeld = gate();
      const queue = queueOf(rows, () => {
        const batches = rows.batches();
        return {
          ...batches,
          claim: async (limit) => {
            const claimed = await batches.claim(limit);
            await claimHeld.promise;
            return claimed;
          },
        };
      });
      const run = queue.run();
      await waitFor(() => rows.claims.length === 1, 'the claim under way');
      let stopped = false;
      const stopping = queue.stop().then(() => (stopped = true));
      await Promise.resolve();
      expect(stopped).toBe(false);
      claimHeld.release();
      await within(stopping, 1000, 'stop');
      expect(await run).toBe(3);
      expect(rows.started).toEqual([]);
      expect(rows.released).toEqual([1, 2, 3]);
    });
  });
});
