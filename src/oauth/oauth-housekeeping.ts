import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { DataSource } from 'typeorm';

const KEEP_MS = 24 * 3_600_000;

/** Spent and expired flow records are worthless after a day: delete them hourly. */
@Injectable()
export class OAuthHousekeeping {
  private readonly logger = new Logger('OAuthHousekeeping');

  constructor(private readonly dataSource: DataSource) {}

  @Cron(CronExpression.EVERY_HOUR)
  async purge(now = new Date()): Promise<{ states: number; sessions: number }> {
    const before = new Date(now.getTime() - KEEP_MS);
    const [, states]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM oauth_states WHERE expires_at < $1`,
      [before],
    );
    const [, sessions]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM connect_sessions WHERE expires_at < $1`,
      [before],
    );
    if (states || sessions) this.logger.log({ states, sessions }, 'purged expired flow records');
    return { states, sessions };
  }
}
