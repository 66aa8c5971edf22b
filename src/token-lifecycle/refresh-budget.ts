import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MetricsService } from '../metrics/metrics.service';
import { sleep } from '../common/concurrency';

/**
 * The per-provider call budget shared by all replicas: a token bucket in Postgres (one row per
 * provider, refilled by elapsed time × rate) that holds at most ONE token. So calls are paced at least
 * 1/rate apart and no 1-second window ever sees more than `rate` calls across replicas, even after an
 * idle spell: a bucket that held a second's worth let through twice the rate in its first second
 * (a full bucket plus a second of refill). A taker that finds no token waits until the next one is due
 * and tries again (no ordering among waiters), so a long sweep still uses most of the budget. Taking a token is one UPDATE, so replicas serialise on the row
 * only for that statement; the table is UNLOGGED, so the commit does not wait for a WAL flush while it
 * holds the row (see the RefreshBudgetUnlogged migration).
 */
@Injectable()
export class RefreshBudget {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Waits until one call is allowed, or returns false when that would take longer than `maxWaitMs`.
   */
  async take(provider: string, ratePerSecond: number, maxWaitMs: number): Promise<boolean> {
    const started = Date.now();
    const granted = await this.acquire(provider, ratePerSecond, started + maxWaitMs);
    this.metrics.rateLimitWait.observe({ provider }, (Date.now() - started) / 1000);
    return granted;
  }

  /** A full bucket for a provider that has none yet: on its first take, and after a database crash. */
  private async createRow(provider: string, burst: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO refresh_budgets (provider, tokens, updated_at) VALUES ($1, $2, clock_timestamp()) ON CONFLICT (provider) DO NOTHING`,
      [provider, burst],
    );
  }

  private async acquire(provider: string, ratePerSecond: number, deadline: number): Promise<boolean> {
    const burst = 1;
    for (;;) {
      // TypeORM answers an UPDATE … RETURNING with [rows, rowCount].
      const [rows]: [{ granted: boolean; tokens: number }[], number] = await this.dataSource.query(
        `WITH refill AS (
           SELECT provider, LEAST($2::float8, tokens + EXTRACT(EPOCH FROM clock_timestamp() - updated_at) * $3::float8) AS available
             FROM refresh_budgets WHERE provider = $1 FOR UPDATE
         )
         UPDATE refresh_budgets b
            SET tokens = CASE WHEN r.available >= 1 THEN r.available - 1 ELSE r.available END,
                updated_at = clock_timestamp()
           FROM refill r
          WHERE b.provider = r.provider
      RETURNING r.available >= 1 AS granted, b.tokens`,
        [provider, burst, ratePerSecond],
      );
      const row = rows[0];
      if (!row) {
        // No row yet, or the table was emptied (it is UNLOGGED: Postgres empties it in crash recovery).
        await this.createRow(provider, burst);
        continue;
      }
      if (row.granted) return true;
      // Until the next token, plus a little jitter (a tenth of the spacing) so waiters do not collide.
      const spacingMs = 1000 / ratePerSecond;
      const waitMs = Math.max(1, Math.ceil((1 - row.tokens) * spacingMs + Math.random() * spacingMs * 0.1));
      if (Date.now() + waitMs > deadline) return false;
      await sleep(waitMs);
    }
  }
}
