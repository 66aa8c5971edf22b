import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { REFRESHABLE_STATUSES, sqlList } from '../connection-status';
import { ConnectionEntity } from '../connection.entity';

/** Fleet-wide figures of the connections table, read at scrape time by /metrics. */
@Injectable()
export class ConnectionStatsRepository {
  constructor(@InjectRepository(ConnectionEntity) private readonly repo: Repository<ConnectionEntity>) {}

  countByProviderAndStatus(): Promise<{ provider: string; status: string; n: number }[]> {
    return this.repo.query(`SELECT provider, status, count(*)::int AS n FROM connections GROUP BY provider, status`);
  }

  /**
   * How long the oldest connection of `provider` that is due for refresh (its access token within
   * `leadSeconds` of expiry) has been waiting, in seconds; 0 when none is overdue.
   */
  async refreshLagSeconds(provider: string, leadSeconds: number): Promise<number> {
    const [row]: { lag: number | null }[] = await this.repo.query(
      `SELECT EXTRACT(EPOCH FROM now() - min(expires_at - make_interval(secs => $2)))::float8 AS lag
         FROM connections
        WHERE provider = $1 AND refresh_token IS NOT NULL AND status IN (${sqlList(REFRESHABLE_STATUSES)})
          AND expires_at < now() + make_interval(secs => $2)`,
      [provider, leadSeconds],
    );
    return Math.max(0, row?.lag ?? 0);
  }

  /**
   * Refreshes due in each hour from the start of the current one (hour 0 includes the overdue ones), for
   * `hours` hours: connections the sweep refreshes, due when their access token enters its provider's
   * lead time (`leadSeconds` per provider) or their refresh token the renewal window (`renewBeforeMs`),
   * whichever comes first, but not before their backoff ends (the sweep's claim, as a time).
   */
  async dueByHour(
    leadSeconds: Record<string, number>,
    renewBeforeMs: number,
    hours = 24,
    now = new Date(),
  ): Promise<number[]> {
    const providers = Object.keys(leadSeconds);
    const hourStart = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
    const rows: { h: number; n: number }[] = await this.repo.query(
      `WITH lead AS (SELECT * FROM unnest($1::varchar[], $2::int[]) AS l(provider, secs)),
            due AS (
              SELECT GREATEST(
                       LEAST(c.expires_at - make_interval(secs => l.secs),
                             c.refresh_token_expires_at - make_interval(secs => $5::float8 / 1000)),
                       COALESCE(c.next_refresh_at, '-infinity')) AS at
                FROM connections c JOIN lead l ON l.provider = c.provider
               WHERE c.refresh_token IS NOT NULL
                 AND (c.expires_at IS NOT NULL OR c.refresh_token_expires_at IS NOT NULL)
                 AND c.status IN (${sqlList(REFRESHABLE_STATUSES)}))
       SELECT GREATEST(0, floor(EXTRACT(EPOCH FROM at - $3::timestamptz) / 3600))::int AS h, count(*)::int AS n
         FROM due WHERE at < $3::timestamptz + make_interval(hours => $4)
        GROUP BY 1`,
      [providers, providers.map((p) => leadSeconds[p]), hourStart, hours, renewBeforeMs],
    );
    const counts = new Array<number>(hours).fill(0);
    for (const row of rows) counts[row.h] += row.n;
    return counts;
  }
}
