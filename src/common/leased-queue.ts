import { forEachLimited } from './concurrency';
import { IntervalRunner } from './interval-runner';

/**
 * One worker's claim-and-work loop: what it claims and how it works a row. Its SQL, its lease
 * (owner, until), its retries and its outcome accounting stay in the worker; this is only the order.
 */
export interface LeasedBatches<Row> {
  /** Claims up to `limit` due rows with the worker's lease (FOR UPDATE SKIP LOCKED + owner, until). */
  claim(limit: number): Promise<Row[]>;
  /** Works one claimed row: records its outcome (and counts it) itself. */
  process(row: Row): Promise<void>;
  /** Rows per claim; a claim that comes back with fewer means the queue is drained for this run. */
  batchSize: number;
  /** Claims per run at most, so one run cannot go on forever (1: a single claim). */
  maxBatches: number;
  /** Rows worked at once. */
  concurrency: number;
  /**
   * A row whose `process` threw: the worker logs or counts it (its lease runs out and a later run
   * retries) and the other rows go on. Must not throw. Without it, the first error ends the run: no
   * further row starts (they are handed to `release` if there is one, else their leases run out), the
   * rows in work finish, and the run rejects with that error.
   */
  onError?(row: Row, error: unknown): void;
  /**
   * At shutdown: claimed rows not started yet are handed back through this once their batch settles.
   * Without it, the rows already claimed are all worked (the stop only prevents the next claim).
   */
  release?(rows: Row[]): Promise<void>;
}

/**
 * The skeleton shared by the workers that claim rows with a lease (the refresh sweep, the revocation
 * worker, the webhook dispatcher): an IntervalRunner (timer registered under `name`, 0 = off so tests
 * drive `runOnce(now)`, one run at a time, `stop()` waits for the run in flight) plus `drain`, which
 * claims batch after batch and works each with bounded concurrency. No claim starts once `stop()` was
 * called. Each worker's `work(now)` builds its report and calls `drain` as often as it needs.
 */
export class LeasedQueue<T> extends IntervalRunner<T> {
  /** Claims and works batches until a claim comes back short, `maxBatches` or stop; returns how many rows were claimed. */
  async drain<Row>(batches: LeasedBatches<Row>): Promise<number> {
    let claimed = 0;
    for (let batch = 0; batch < batches.maxBatches && !this.stopped; batch++) {
      const rows = await batches.claim(batches.batchSize);
      claimed += rows.length;
      await this.workBatch(rows, batches);
      if (rows.length === 0 || rows.length < batches.batchSize) break;
    }
    return claimed;
  }

  private async workBatch<Row>(rows: Row[], batches: LeasedBatches<Row>): Promise<void> {
    const unstarted: Row[] = [];
    let failure: { error: unknown } | undefined;
    await forEachLimited(rows, batches.concurrency, async (row) => {
      if (failure || (batches.release && this.stopped)) {
        unstarted.push(row);
        return;
      }
      try {
        await batches.process(row);
      } catch (error) {
        if (batches.onError) batches.onError(row, error);
        else failure ??= { error };
      }
    });
    if (unstarted.length && batches.release) await batches.release(unstarted);
    if (failure) throw failure.error;
  }
}
