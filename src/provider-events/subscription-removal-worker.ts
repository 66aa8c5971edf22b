import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { backoffDelay } from '../common/backoff';
import { LeasedQueue } from '../common/leased-queue';
import { MetricsService } from '../metrics/metrics.service';
import { newLeaseOwner } from '../common/lease-owner';
import { DecryptionError } from '../crypto/token-cipher';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { EventSubscriptionEntity } from './event-subscription.entity';
import { providerEventsConfig } from './provider-events.config';
import { SubscriptionRemovalsRepository } from './subscription-removals.repository';
import { unregister } from './unregister';

export type RemovalOutcome = 'removed' | 'failed' | 'given_up';

export interface RemovalReport {
  attempted: number;
  removed: number;
  failed: number;
  givenUp: number;
}

const TIMER = 'subscription-removals';
const BATCH = 50;
const MAX_BATCHES = 20;
/** Provider calls in flight per replica. */
const CONCURRENCY = 4;

/**
 * Unregisters, at their provider, the webhooks of deleted connections that the DELETE could not remove
 * (docs/events.md "Deleting"), every EVENTS_REMOVAL_INTERVAL_SECONDS: the fourth worker on the shared
 * LeasedQueue. Replicas claim disjoint due rows (FOR UPDATE SKIP LOCKED + lease, confirmed before each
 * provider call); a failure is retried with backoff until EVENTS_REMOVAL_MAX_ATTEMPTS, and a token the
 * provider no longer accepts is given up at once. A finished row is deleted with the token it kept. The
 * connection's own token revocation waits for these rows (TokenRevocationsRepository.claimDue).
 */
@Injectable()
export class SubscriptionRemovalWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SubscriptionRemovals');
  private readonly owner = newLeaseOwner();
  private readonly runner: LeasedQueue<RemovalReport>;

  constructor(
    private readonly removals: SubscriptionRemovalsRepository,
    private readonly catalog: ProviderCatalog,
    private readonly metrics: MetricsService,
    scheduler: SchedulerRegistry,
    @Inject(providerEventsConfig.KEY) private readonly config: ConfigType<typeof providerEventsConfig>,
  ) {
    this.runner = new LeasedQueue(TIMER, scheduler, this.logger, (now) => this.work(now));
  }

  onApplicationBootstrap(): void {
    this.runner.start(this.config.removal.intervalMs, 'subscription removal run failed');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }

  /** One run: attempts every due removal once. */
  runOnce(now = new Date()): Promise<RemovalReport> {
    return this.runner.run(now);
  }

  private async work(now: Date): Promise<RemovalReport> {
    const report: RemovalReport = { attempted: 0, removed: 0, failed: 0, givenUp: 0 };
    const started = Date.now();
    const leaseUntil = () => new Date(now.getTime() + (Date.now() - started) + this.config.removal.leaseMs);
    await this.runner.drain({
      claim: (limit) => this.removals.claimDue(this.owner, leaseUntil(), now, limit),
      batchSize: BATCH,
      maxBatches: MAX_BATCHES,
      concurrency: CONCURRENCY,
      process: async (row) => {
        const outcome = await this.attempt(row, now, leaseUntil);
        if (!outcome) return;
        report.attempted++;
        if (outcome === 'removed') report.removed++;
        else if (outcome === 'failed') report.failed++;
        else report.givenUp++;
      },
      onError: (row, error) =>
        this.logger.error(
          { err: error, subscriptionId: row.id, provider: row.provider },
          'subscription removal attempt failed',
        ),
      release: (rows) =>
        this.removals.releaseLeases(
          rows.map((row) => row.id),
          this.owner,
        ),
    });
    if (report.attempted) this.logger.log(report, 'subscription removal run finished');
    return report;
  }

  private async attempt(
    row: EventSubscriptionEntity,
    now: Date,
    leaseUntil: () => Date,
  ): Promise<RemovalOutcome | null> {
    if (!(await this.removals.extendLease(row.id, this.owner, leaseUntil()))) return null;
    const attempts = row.attempts + 1;
    const result = await this.unregister(row);
    let outcome: RemovalOutcome;
    if (result.removed) {
      outcome = 'removed';
      if (!(await this.removals.finish(row.id, this.owner))) return null;
    } else if (result.final || attempts >= this.config.removal.maxAttempts) {
      outcome = 'given_up';
      if (!(await this.removals.finish(row.id, this.owner))) return null;
    } else {
      outcome = 'failed';
      const nextAttemptAt = new Date(
        now.getTime() + backoffDelay(attempts, this.config.removal.retryBaseMs, this.config.removal.retryMaxMs),
      );
      if (
        !(await this.removals.markAttemptFailed(row.id, this.owner, {
          attempts,
          lastError: result.error,
          nextAttemptAt,
        }))
      )
        return null;
    }
    this.metrics.subscriptionRemovals.inc({ provider: row.provider, outcome });
    const fields = { subscriptionId: row.id, connectionId: row.connectionId, provider: row.provider, attempts };
    if (outcome === 'removed') this.logger.log(fields, 'webhook of a deleted connection unregistered');
    else
      this.logger.warn(
        { ...fields, error: result.removed ? undefined : result.error, outcome },
        outcome === 'given_up'
          ? 'webhook of a deleted connection could not be unregistered; given up (its URL answers 404)'
          : 'webhook of a deleted connection could not be unregistered; will retry',
      );
    return outcome;
  }

  private async unregister(
    row: EventSubscriptionEntity,
  ): Promise<{ removed: true } | { removed: false; error: string; final: boolean }> {
    const provider = this.catalog.find(row.provider);
    if (!provider || !row.removalTarget) return { removed: false, error: 'provider_not_configured', final: false };
    let accessToken: string;
    try {
      accessToken = this.removals.accessTokenOf(row);
    } catch (error) {
      if (error instanceof DecryptionError) return { removed: false, error: 'decryption_failed', final: true };
      throw error;
    }
    return unregister(provider, accessToken, row.removalTarget, row.remoteIds);
  }
}
