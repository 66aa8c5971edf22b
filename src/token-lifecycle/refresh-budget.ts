import { Injectable } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service';
import { ProviderCallBudget } from '../revocations/provider-call-budget';

/**
 * The per-provider call budget of refreshes and whoami checks, shared by all replicas: the one budget
 * every call to a provider takes from (ProviderCallBudget, GCRA slots in `refresh_budgets`; the
 * revocation worker takes from it too), with the wait observed in `oauth_rate_limit_wait_seconds`.
 */
@Injectable()
export class RefreshBudget {
  constructor(
    private readonly slots: ProviderCallBudget,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Waits until one call is allowed, or returns false at once when that would take longer than
   * `maxWaitMs`.
   */
  async take(provider: string, ratePerSecond: number, maxWaitMs: number): Promise<boolean> {
    const started = Date.now();
    const granted = await this.slots.take(provider, ratePerSecond, maxWaitMs);
    this.metrics.rateLimitWait.observe({ provider }, (Date.now() - started) / 1000);
    return granted;
  }
}
