import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';

/**
 * Periodic work (the refresh sweep, the webhook dispatcher): an interval registered with
 * SchedulerRegistry under `name` (decorator intervals are fixed at compile time), one run at a time.
 * `run()` joins a run in progress; `stop()` ends the timer and waits for the run in progress.
 */
export class IntervalRunner<T> {
  private running?: Promise<T>;
  private halted = false;

  constructor(
    private readonly name: string,
    private readonly scheduler: SchedulerRegistry,
    private readonly logger: Logger,
    private readonly work: (now: Date) => Promise<T>,
  ) {}

  /** True once stop() was called: long runs check it between batches. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Starts the timer; 0 or less leaves it off. A run that throws is logged as `failure`. */
  start(intervalMs: number, failure: string): void {
    if (intervalMs <= 0) return;
    const timer = setInterval(() => {
      if (this.running || this.halted) return;
      this.run().catch((error: unknown) => this.logger.error({ err: error }, failure));
    }, intervalMs);
    this.scheduler.addInterval(this.name, timer);
  }

  run(now = new Date()): Promise<T> {
    if (this.running) return this.running;
    this.running = this.work(now).finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    this.halted = true;
    if (this.scheduler.doesExist('interval', this.name)) this.scheduler.deleteInterval(this.name);
    await this.running?.catch(() => undefined);
  }
}
