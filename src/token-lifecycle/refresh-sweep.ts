import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { forEachLimited } from '../common/concurrency';
import { LeasedQueue } from '../common/leased-queue';
import { RefreshBudget } from './refresh-budget';
import { tokenLifecycleConfig } from './token-lifecycle.config';
import { ConnectionLifecycleRepository } from '../connections/persistence/connection-lifecycle.repository';
import { RefreshOutcome, RefreshService } from './refresh.service';
import { VerificationService } from './verification.service';
import { traceRefresh } from '../telemetry/spans';

export interface SweepReport {
  claimed: number;
  refreshed: number;
  failed: number;
  deferred: number;
  verified: number;
}

const SWEEP = 'refresh-sweep';
/** Batches per provider per run, so one run cannot go on forever. */
const MAX_BATCHES = 50;

/**
 * Every REFRESH_SWEEP_INTERVAL_SECONDS: claim due connections per provider (access token within the
 * provider's lead time, or refresh token near its horizon) and refresh them; claim connections without
 * refresh token whose whoami check is due and check them. Registered with SchedulerRegistry because
 * decorator intervals are fixed at compile time. `runOnce(now)` takes the clock as a parameter.
 */
@Injectable()
export class RefreshSweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('RefreshSweep');

  constructor(
    private readonly repo: ConnectionLifecycleRepository,
    private readonly refresh: RefreshService,
    private readonly verification: VerificationService,
    private readonly budget: RefreshBudget,
    private readonly catalog: ProviderCatalog,
    scheduler: SchedulerRegistry,
    @Inject(tokenLifecycleConfig.KEY) private readonly config: ConfigType<typeof tokenLifecycleConfig>,
  ) {
    this.runner = new LeasedQueue(SWEEP, scheduler, this.logger, (now) => this.sweep(now));
  }

  private readonly runner: LeasedQueue<SweepReport>;

  onApplicationBootstrap(): void {
    this.runner.start(this.config.sweepIntervalMs, 'sweep failed');
  }

  /**
   * SIGTERM: stop taking new work, let the running sweep and every refresh in flight finish and store
   * their rotated tokens, release leases — all before the database pool closes.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.refresh.drain();
  }

  runOnce(now = new Date()): Promise<SweepReport> {
    return this.runner.run(now);
  }

  private async sweep(now: Date): Promise<SweepReport> {
    const report: SweepReport = { claimed: 0, refreshed: 0, failed: 0, deferred: 0, verified: 0 };
    const started = Date.now();
    // Each claim's lease from the run's clock (`now`, advancing with real time): a run slowed by the
    // provider budget must not claim later batches with a lease already over.
    const leaseNow = () => ({
      owner: this.refresh.owner,
      until: new Date(now.getTime() + (Date.now() - started) + this.config.leaseMs),
    });
    const lease = { owner: this.refresh.owner };
    for (const provider of this.catalog.list()) {
      const { settings } = provider;
      // Every provider: the claim only takes rows that hold a refresh token ("if one ever arrives, use it").
      // No `release`: at shutdown the batch in hand is refreshed, then RefreshService.drain() frees the leases left.
      report.claimed += await this.runner.drain({
        claim: (limit) =>
          this.repo.claimDueForRefresh(
            {
              provider: provider.name,
              now,
              expiringBefore: new Date(now.getTime() + settings.refreshLeadSeconds * 1000),
              refreshTokenExpiringBefore: new Date(now.getTime() + this.config.renewBeforeMs),
              limit,
            },
            leaseNow(),
          ),
        batchSize: this.config.batchSize,
        maxBatches: MAX_BATCHES,
        concurrency: this.config.concurrency,
        process: async ({ connection, previousOwner }) =>
          this.count(
            report,
            // One `refresh` span (a trace of its own) per connection the sweep refreshes.
            await traceRefresh(connection.id, 'sweep', provider.name, () =>
              this.refresh.refreshClaimed(connection, previousOwner),
            ),
          ),
        onError: ({ connection }, error) => {
          // A store that kept failing (logged where it happened): the lease expires and the next sweep retries.
          report.failed++;
          this.logger.error({ err: error, connectionId: connection.id }, 'refresh failed in the sweep');
        },
      });
      if (!settings.supports.verify) continue;
      // The whoami checks stay outside drain() on purpose: one claim that runs even after stop() and an
      // error that ends the sweep. drain() would skip that claim at shutdown and start no further check
      // after an error, which changes the sweep's behaviour; a separate change may choose to.
      await this.repo.scheduleFirstVerify(provider.name, now, this.config.verifyIntervalMs);
      const toVerify = await this.repo.claimDueForVerify(provider.name, now, this.config.batchSize, leaseNow());
      await forEachLimited(toVerify, this.config.concurrency, async (connection) => {
        if (!(await this.budget.take(provider.name, settings.refreshRatePerSecond, this.config.budgetWaitMs))) {
          await this.repo.releaseLease(connection.id, lease.owner);
          return;
        }
        const { result } = await this.verification.check(connection, lease.owner, now);
        if (result !== 'unsupported') report.verified++;
      });
    }
    if (report.claimed || report.verified) this.logger.log(report, 'sweep finished');
    return report;
  }

  private count(report: SweepReport, outcome: RefreshOutcome): void {
    if (outcome.kind === 'refreshed' || outcome.kind === 'current') report.refreshed++;
    else if (outcome.kind === 'failed') report.failed++;
    else report.deferred++;
  }
}
