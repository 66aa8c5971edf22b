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
   * Refreshes due in each of the next `hours` hours (hour 0 includes the overdue ones): connections the
   * sweep refreshes, due when their token enters its provider's lead time (`leadSeconds` per provider)
   * or when their backoff ends, whichever is later.
   */
  async dueByHour(leadSeconds: Record<string, number>, hours = 24, now = new Date()): Promise<number[]> {
    const providers = Object.keys(leadSeconds);
    const rows: { h: number; n: number }[] = await this.repo.query(
      `WITH lead AS (SELECT * FROM unnest($1::varchar[], $2::int[]) AS l(provider, secs)),
            due AS (
              SELECT GREATEST(c.expires_at - make_interval(secs => l.secs), COALESCE(c.next_refresh_at, '-infinity')) AS at
                FROM connections c JOIN lead l ON l.provider = c.provider
               WHERE c.refresh_token IS NOT NULL AND c.expires_at IS NOT NULL
                 AND c.status IN (${sqlList(REFRESHABLE_STATUSES)}))
       SELECT GREATEST(0, floor(EXTRACT(EPOCH FROM at - $3::timestamptz) / 3600))::int AS h, count(*)::int AS n
         FROM due WHERE at < $3::timestamptz + make_interval(hours => $4)
        GROUP BY 1`,
      [providers, providers.map((p) => leadSeconds[p]), now, hours],
    );
    const counts = new Array<number>(hours).fill(0);
    for (const row of rows) counts[row.h] += row.n;
    return counts;
  }
}
