import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sleep } from '../common/concurrency';

/**
 * Of the configured rate, what the budget hands out: the calls leave the service exactly paced, but
 * reach the provider with a little network jitter; 3 % of slack keeps any 1-second window at the
 * provider within the rate, and still uses 97 % of it.
 */
const PACE = 0.97;

/**
 * The per-provider call budget (`<P>_REFRESH_RATE_PER_SECOND`) shared by all replicas and by the calls
 * the service makes on its own schedule: refreshes and whoami checks (token-lifecycle/refresh-budget.ts,
 * which adds its metrics) and the revocation worker's calls. It lives in this folder, the lowest that
 * takes from it (token-lifecycle imports revocations, never the other way), so both share one
 * implementation and one row per provider in `refresh_budgets`.
 *
 * Slot reservations (GCRA, the generic cell rate algorithm): one row per provider holds the next free
 * slot (`updated_at`). A take reserves max(next free slot, now) if that is within its wait, moves the
 * next free slot one spacing (1 / (rate × PACE)) on, and sleeps until its slot. So calls are evenly
 * spaced across replicas, no 1-second window ever holds more than the rate, and no slot is lost to
 * polling while takers queue (a bucket that held a second's worth let through twice the rate in its
 * first second). Taking is one statement on the row; the table is UNLOGGED, so the commit does not
 * wait for a WAL flush while it holds the row (see the RefreshBudgetUnlogged migration).
 */
@Injectable()
export class ProviderCallBudget {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Waits until one call is allowed, or returns false at once when that would take longer than
   * `maxWaitMs` (the next free slot is further away: other calls have reserved the budget until then).
   */
  take(provider: string, ratePerSecond: number, maxWaitMs: number): Promise<boolean> {
    return this.acquire(provider, ratePerSecond, maxWaitMs);
  }

  /** A provider's first take, and after a database crash: the next free slot is now. */
  private async createRow(provider: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO refresh_budgets (provider, tokens, updated_at) VALUES ($1, 0, clock_timestamp()) ON CONFLICT (provider) DO NOTHING`,
      [provider],
    );
  }

  private async acquire(provider: string, ratePerSecond: number, maxWaitMs: number): Promise<boolean> {
    const spacingSeconds = 1 / (ratePerSecond * PACE);
    const deadline = Date.now() + maxWaitMs;
    const lateToleranceMs = Math.max(1, Math.floor(ratePerSecond * (1 - PACE))) * spacingSeconds * 1000;
    for (;;) {
      const asked = Date.now();
      const rows: { wait_ms: number; granted: boolean }[] = await this.dataSource.query(
        `WITH slot AS (
           SELECT provider, GREATEST(updated_at, clock_timestamp()) AS at, clock_timestamp() AS now
             FROM refresh_budgets WHERE provider = $1 FOR UPDATE
         ), reserved AS (
           UPDATE refresh_budgets b SET updated_at = slot.at + make_interval(secs => $2)
             FROM slot
            WHERE b.provider = slot.provider AND slot.at <= slot.now + make_interval(secs => $3)
           RETURNING 1
         )
         SELECT EXTRACT(EPOCH FROM slot.at - slot.now)::float8 * 1000 AS wait_ms,
                EXISTS (SELECT 1 FROM reserved) AS granted
           FROM slot`,
        [provider, spacingSeconds, Math.max(0, deadline - asked) / 1000],
      );
      const row = rows[0];
      if (!row) {
        // No row yet, or the table was emptied (it is UNLOGGED: Postgres empties it in crash recovery).
        await this.createRow(provider);
        continue;
      }
      if (!row.granted) return false;
      if (row.wait_ms > 0) await sleep(row.wait_ms);
      // A busy process wakes late: calls whose slots passed meanwhile would all leave at once. Lateness
      // up to the slack PACE leaves (a few spacings at most) cannot push a window over the rate; a slot
      // missed by more is given up and a new one reserved, so calls never bunch beyond it.
      const late = Date.now() - (asked + row.wait_ms);
      if (late <= lateToleranceMs) return true;
      if (Date.now() >= deadline) return false;
    }
  }
}
