import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { ConnectSessionsService } from '../connect-sessions/connect-sessions.service';
import { OAuthStateStore } from './oauth-state.store';

const KEEP_MS = 24 * 3_600_000;

/** Spent and expired flow records are worthless after a day: each owner deletes its own, hourly. */
@Injectable()
export class OAuthHousekeeping {
  private readonly logger = new Logger('OAuthHousekeeping');

  constructor(
    private readonly states: OAuthStateStore,
    private readonly sessions: ConnectSessionsService,
  ) {}

  @Cron(CronExpression.EVERY_HOUR)
  async purge(now = new Date()): Promise<{ states: number; sessions: number }> {
    const before = new Date(now.getTime() - KEEP_MS);
    const states = await this.states.purgeExpired(before);
    const sessions = await this.sessions.purgeExpired(before);
    if (states || sessions) this.logger.log({ states, sessions }, 'purged expired flow records');
    return { states, sessions };
  }
}
