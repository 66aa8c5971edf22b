import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Repository } from 'typeorm';
import { IntervalRunner } from '../common/interval-runner';
import { RefreshHistoryEntity } from './refresh-history.entity';

const HOUR_MS = 3_600_000;
/** How often each replica adds its counts to the table. */
const FLUSH_EVERY_MS = 10_000;
/** Hours kept. */
const KEEP_HOURS = 24 * 7;

export interface RefreshHour {
  hour: Date;
  provider: string;
  succeeded: number;
  failed: number;
}

/**
 * Refreshes per hour and provider (the console's "refreshes per hour" chart): the refresh service
 * counts each outcome in memory, and every FLUSH_EVERY_MS the counts are added to `refresh_history`
 * with one upsert per hour and provider, so replicas never contend on a row per refresh. Counts not
 * yet written when a replica dies are lost (seconds' worth). The table's only owner.
 */
@Injectable()
export class RefreshHistory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RefreshHistory');
  private pending = new Map<string, { hour: number; provider: string; succeeded: number; failed: number }>();
  private readonly flusher: IntervalRunner<void>;

  constructor(
    @InjectRepository(RefreshHistoryEntity) private readonly repo: Repository<RefreshHistoryEntity>,
    scheduler: SchedulerRegistry,
  ) {
    this.flusher = new IntervalRunner('refresh-history', scheduler, this.logger, () => this.flush());
  }

  onApplicationBootstrap(): void {
    this.flusher.start(FLUSH_EVERY_MS, 'writing the refresh history failed');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flusher.stop();
    await this.flush().catch(() => undefined);
  }

  /** One refresh's outcome (called by the refresh service). */
  record(provider: string, outcome: 'succeeded' | 'failed', at = Date.now()): void {
    const hour = Math.floor(at / HOUR_MS) * HOUR_MS;
    const key = `${hour}|${provider}`;
    let counts = this.pending.get(key);
    if (!counts) this.pending.set(key, (counts = { hour, provider, succeeded: 0, failed: 0 }));
    counts[outcome]++;
  }

  /** Adds the counts so far to the table (and deletes hours past a week). */
  async flush(): Promise<void> {
    const batch = [...this.pending.values()];
    if (!batch.length) return;
    this.pending = new Map();
    try {
      await this.repo.query(
        `INSERT INTO refresh_history (hour, provider, succeeded, failed)
         SELECT * FROM unnest($1::timestamptz[], $2::varchar[], $3::int[], $4::int[])
         ON CONFLICT (hour, provider) DO UPDATE
           SET succeeded = refresh_history.succeeded + EXCLUDED.succeeded,
               failed = refresh_history.failed + EXCLUDED.failed`,
        [
          batch.map((b) => new Date(b.hour)),
          batch.map((b) => b.provider),
          batch.map((b) => b.succeeded),
          batch.map((b) => b.failed),
        ],
      );
    } catch (error) {
      // Put them back for the next flush.
      for (const b of batch) {
        const key = `${b.hour}|${b.provider}`;
        const counts = this.pending.get(key);
        if (counts) {
          counts.succeeded += b.succeeded;
          counts.failed += b.failed;
        } else this.pending.set(key, b);
      }
      throw error;
    }
    await this.repo.query(`DELETE FROM refresh_history WHERE hour < now() - make_interval(hours => $1)`, [KEEP_HOURS]);
  }

  /** The hours since `since`, all providers together, oldest first (hours without refreshes are absent). */
  hourly(since: Date): Promise<{ hour: Date; succeeded: number; failed: number }[]> {
    return this.repo.query(
      `SELECT hour, sum(succeeded)::int AS succeeded, sum(failed)::int AS failed
         FROM refresh_history WHERE hour >= $1 GROUP BY hour ORDER BY hour`,
      [since],
    );
  }
}
