import { Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { IntervalRunner } from '../common/interval-runner';
import { ConnectionActivity } from './connection-activity';

/** How often each replica adds its proxy call counts to the table. */
export const PROXY_FLUSH_EVERY_MS = 5_000;

/**
 * Writes the proxy call counts ConnectionActivity keeps in memory: every PROXY_FLUSH_EVERY_MS, and once
 * more when the app closes, after the HTTP server stopped (no call is counted any more) and before the
 * database pool is closed.
 */
@Injectable()
export class ProxyCallFlusher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Activity');
  private readonly flusher: IntervalRunner<void>;

  constructor(
    private readonly activity: ConnectionActivity,
    scheduler: SchedulerRegistry,
  ) {
    this.flusher = new IntervalRunner('activity-proxy-calls', scheduler, this.logger, () =>
      this.activity.flushProxyCalls(),
    );
  }

  onApplicationBootstrap(): void {
    this.flusher.start(PROXY_FLUSH_EVERY_MS, 'writing the proxy call counts to the activity failed');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flusher.stop();
    await this.activity
      .flushProxyCalls()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'the last proxy call counts could not be written'));
  }
}

/**
 * Not global, unlike ActivityModule, on purpose: Nest runs the shutdown hooks of modules nearest the
 * root first and of global modules last, with TypeORM's (which closes the pool) among them. Imported by
 * the app module, this one's final flush runs while the pool is still open.
 */
@Module({ providers: [ProxyCallFlusher] })
export class ProxyCallFlusherModule {}
