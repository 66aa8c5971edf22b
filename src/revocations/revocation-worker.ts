import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Cron, CronExpression, SchedulerRegistry } from '@nestjs/schedule';
import { backoffDelay } from '../common/backoff';
import { LeasedQueue } from '../common/leased-queue';
import { newLeaseOwner } from '../common/lease-owner';
import { DecryptionError, TokenCipher } from '../crypto/token-cipher';
import type { OAuthProvider } from '../providers/core/provider';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { ProviderCallBudget } from './provider-call-budget';
import { revocationContext } from './revocation-context';
import { revocationsConfig } from './revocations.config';
import { RevocationError, TokenRevocationEntity } from './token-revocation.entity';
import { TokenRevocationsRepository } from './token-revocations.repository';

const FINISHED_KEPT_MS = 30 * 86_400_000;

/** What one attempt came to: revoked, failed (retried later) or given up (no attempts left). */
export type RevocationOutcome = 'revoked' | 'failed' | 'given_up';
export type RevocationAttemptListener = (provider: string, outcome: RevocationOutcome) => void;

export interface RevocationReport {
  attempted: number;
  revoked: number;
  failed: number;
  givenUp: number;
  /** Not tried: the provider's call budget was spent; due again on the next run, nothing counted. */
  deferred: number;
}

const TIMER = 'token-revocations';
const BATCH = 50;
/** Batches per run, so one run cannot go on forever. */
const MAX_BATCHES = 20;
/** Provider calls in flight per replica. */
const CONCURRENCY = 4;
/**
 * How long an attempt waits for a slot of the provider's call budget. Short: revocations only use what
 * refreshes leave (while the sweep has the budget reserved further ahead, revocations wait for a later
 * run), and a run waiting here holds up a shutdown.
 */
const BUDGET_WAIT_MS = 5_000;
/** A deferred row is due again this long after its run's clock: the next run, not this one. */
const DEFER_MS = 1_000;

/** What was prepared for a provider call, or why there is none. */
type Prepared = { provider: OAuthProvider; tokens: { accessToken: string; refreshToken?: string } } | RevocationError;

/**
 * Revokes queued tokens (superseded by a reconnect, not revoked by a DELETE, or obtained by a refresh
 * that could not store them) every REVOCATION_INTERVAL_SECONDS. Replicas claim disjoint due rows (FOR
 * UPDATE SKIP LOCKED + lease); the lease is confirmed and extended over each provider call, so a row is
 * never revoked by two replicas at once. Each call takes a slot of the provider's call budget, the one
 * refreshes take from (ProviderCallBudget, `<P>_REFRESH_RATE_PER_SECOND` across replicas); when none
 * is free within BUDGET_WAIT_MS the row is deferred to the next run, not failed. A failure is retried
 * with exponential backoff and jitter (REVOCATION_RETRY_BASE_SECONDS up to
 * REVOCATION_RETRY_MAX_SECONDS) until REVOCATION_GIVE_UP_HOURS after the row was queued: the last retry
 * is at that horizon, and a failure from then on gives the row up (`given_up`). A finished row
 * (`revoked`, `given_up`) stays as a record without its tokens. `runOnce(now)` takes the clock.
 */
@Injectable()
export class RevocationWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Revocations');
  private readonly owner = newLeaseOwner();
  private readonly runner: LeasedQueue<RevocationReport>;
  private readonly listeners: RevocationAttemptListener[] = [];

  constructor(
    private readonly revocations: TokenRevocationsRepository,
    private readonly cipher: TokenCipher,
    private readonly catalog: ProviderCatalog,
    private readonly budget: ProviderCallBudget,
    scheduler: SchedulerRegistry,
    @Inject(revocationsConfig.KEY) private readonly config: ConfigType<typeof revocationsConfig>,
  ) {
    this.runner = new LeasedQueue(TIMER, scheduler, this.logger, (now) => this.work(now));
  }

  onApplicationBootstrap(): void {
    this.runner.start(this.config.intervalMs, 'revocation run failed');
  }

  /** Hourly: finished rows (no token left in them) are kept 30 days as a record, then deleted. */
  @Cron(CronExpression.EVERY_HOUR)
  async purge(now = new Date()): Promise<number> {
    const purged = await this.revocations.purgeFinishedBefore(new Date(now.getTime() - FINISHED_KEPT_MS));
    if (purged) this.logger.log({ purged }, 'purged finished token revocations');
    return purged;
  }

  /** SIGTERM: no new attempts; the ones in flight finish and record their outcome; unstarted claims are handed back. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }

  /** One run: attempts every due revocation once. */
  runOnce(now = new Date()): Promise<RevocationReport> {
    return this.runner.run(now);
  }

  /** Called after every attempt (metrics count them; the worker does not know metrics). */
  onAttempt(listener: RevocationAttemptListener): void {
    this.listeners.push(listener);
  }

  private async work(now: Date): Promise<RevocationReport> {
    const report: RevocationReport = { attempted: 0, revoked: 0, failed: 0, givenUp: 0, deferred: 0 };
    const started = Date.now();
    // The run's clock: `now`, advancing with real time.
    const leaseUntil = () => new Date(now.getTime() + (Date.now() - started) + this.config.leaseMs);
    await this.runner.drain({
      claim: (limit) => this.revocations.claimDue(this.owner, leaseUntil(), now, limit),
      batchSize: BATCH,
      maxBatches: MAX_BATCHES,
      concurrency: CONCURRENCY,
      process: async (row) => {
        const outcome = await this.attempt(row, now, leaseUntil);
        if (!outcome) return;
        if (outcome === 'deferred') {
          report.deferred++;
          return;
        }
        report.attempted++;
        if (outcome === 'revoked') report.revoked++;
        else if (outcome === 'failed') report.failed++;
        else report.givenUp++;
      },
      // Recording failed (database): the lease runs out and a later run tries again.
      onError: (row, error) =>
        this.logger.error({ err: error, revocationId: row.id, provider: row.provider }, 'revocation attempt failed'),
      // Shutdown: claimed rows not tried yet are handed back, due as they were.
      release: (rows) =>
        this.revocations.releaseLeases(
          rows.map((row) => row.id),
          this.owner,
        ),
    });
    if (report.attempted || report.deferred) this.logger.log(report, 'revocation run finished');
    return report;
  }

  /**
   * One attempt on a claimed row: `deferred` when the provider's call budget had no slot for it; null
   * when the row is no longer ours (its lease was taken over).
   */
  private async attempt(
    row: TokenRevocationEntity,
    now: Date,
    leaseUntil: () => Date,
  ): Promise<RevocationOutcome | 'deferred' | null> {
    if (!(await this.revocations.extendLease(row.id, this.owner, leaseUntil()))) return null;
    const prepared = this.prepare(row);
    let result: 'revoked' | RevocationError;
    if (typeof prepared === 'string') result = prepared;
    else {
      const { provider, tokens } = prepared;
      if (!(await this.budget.take(provider.name, provider.settings.refreshRatePerSecond, BUDGET_WAIT_MS))) {
        const deferred = await this.revocations.markDeferred(row.id, this.owner, new Date(now.getTime() + DEFER_MS));
        return deferred ? 'deferred' : null;
      }
      // The wait for the slot used part of the lease: confirm it is still ours and extend it over the call.
      if (!(await this.revocations.extendLease(row.id, this.owner, leaseUntil()))) return null;
      result = await this.call(provider, tokens);
    }
    const attempts = row.attempts + 1;
    /** Until when this row is retried: REVOCATION_GIVE_UP_HOURS after it was queued. */
    const horizon = row.createdAt.getTime() + this.config.giveUpMs;
    let outcome: RevocationOutcome;
    if (result === 'revoked') {
      if (!(await this.revocations.markRevoked(row.id, this.owner, attempts))) return null;
      outcome = 'revoked';
    } else if (result === 'revoke_unsupported' || now.getTime() >= horizon) {
      if (!(await this.revocations.markGivenUp(row.id, this.owner, attempts, result))) return null;
      outcome = 'given_up';
    } else {
      // The last retry is at the horizon itself, not up to a backoff past it.
      const nextAttemptAt = new Date(
        Math.min(now.getTime() + backoffDelay(attempts, this.config.retryBaseMs, this.config.retryMaxMs), horizon),
      );
      const recorded = await this.revocations.markAttemptFailed(row.id, this.owner, {
        attempts,
        lastError: result,
        nextAttemptAt,
      });
      if (!recorded) return null;
      outcome = 'failed';
    }
    if (outcome !== 'revoked') {
      this.logger.warn(
        {
          revocationId: row.id,
          connectionId: row.connectionId,
          provider: row.provider,
          attempts,
          error: result,
          outcome,
        },
        outcome === 'given_up' ? 'revocation given up; tokens deleted' : 'revocation failed; will retry',
      );
    }
    for (const listener of this.listeners) listener(row.provider, outcome);
    return outcome;
  }

  /** The provider and the row's tokens in plaintext, or why there will be no call. */
  private prepare(row: TokenRevocationEntity): Prepared {
    const provider = this.catalog.find(row.provider);
    if (!provider) return 'provider_not_configured';
    if (!provider.supports.revoke) return 'revoke_unsupported';
    try {
      return {
        provider,
        tokens: {
          accessToken: this.cipher.decrypt(row.accessToken ?? '', revocationContext(row.id, 'access_token')),
          refreshToken: row.refreshToken
            ? this.cipher.decrypt(row.refreshToken, revocationContext(row.id, 'refresh_token'))
            : undefined,
        },
      };
    } catch (error) {
      if (error instanceof DecryptionError) return 'decryption_failed';
      throw error;
    }
  }

  private async call(
    provider: OAuthProvider,
    tokens: { accessToken: string; refreshToken?: string },
  ): Promise<'revoked' | RevocationError> {
    try {
      const result = await provider.revoke(tokens);
      if (result === 'revoked') return 'revoked';
      return result === 'unsupported' ? 'revoke_unsupported' : 'revoke_failed';
    } catch {
      // A ProviderError (or anything else the provider code threw): its message stays out of the table.
      return 'provider_error';
    }
  }
}
