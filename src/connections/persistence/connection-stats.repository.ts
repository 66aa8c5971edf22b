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
}
