import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConnectionStatsRepository } from '../connections/persistence/connection-stats.repository';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { RevocationWorker } from '../revocations/revocation-worker';
import { TokenRevocationsRepository } from '../revocations/token-revocations.repository';

type Observer = { observe(value: number): void };

/**
 * Prometheus metrics of this app, in a registry of its own (not prom-client's global one), so two app
 * instances in one process never share counters. Connection counts and sweep lag are read from
 * Postgres at scrape time: they describe the fleet, not this replica.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly refreshes = new Counter({
    name: 'oauth_refresh_total',
    help: 'Token refresh attempts by provider and outcome (refreshed, or the failure kind)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly refreshDuration = new Histogram({
    name: 'oauth_refresh_duration_seconds',
    help: "Latency of the provider's refresh call",
    labelNames: ['provider'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  readonly rateLimitWait = new Histogram({
    name: 'oauth_rate_limit_wait_seconds',
    help: 'Time spent waiting for the shared per-provider refresh budget',
    labelNames: ['provider'] as const,
    buckets: [0, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [this.registry],
  });

  readonly revocationAttempts = new Counter({
    name: 'oauth_revocation_attempts_total',
    help: "The revocation worker's attempts by provider and outcome (revoked, failed: retried later, given_up)",
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly keyRequests = new Counter({
    name: 'api_key_requests_total',
    help: 'Requests made with each API key, by key name (env-1, env-2, … for API_KEYS) and response status',
    labelNames: ['key_name', 'status'] as const,
    registers: [this.registry],
  });

  private readonly keySeries = new Map<string, { inc(): void }>();

  readonly proxyCalls = new Histogram({
    name: 'proxy_request_duration_seconds',
    help: "Proxy calls by provider and the provider's status (0: no answer), until the answer's headers",
    labelNames: ['provider', 'status'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly subscriptionRemovals = new Counter({
    name: 'subscription_removals_total',
    help: "Attempts to unregister a deleted connection's webhooks, by provider and outcome (removed, failed: retried later, given_up; during the DELETE or by the removal worker)",
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly inboundEvents = new Counter({
    name: 'inbound_events_total',
    help: "Deliveries to /events/{provider}: forwarded, stored (no WEBHOOK_URL), duplicate, handshake, or the refusal's code",
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  /** One proxy call, with its retries and a renewed token, until the provider's answer (or none). */
  observeProxyCall(provider: string, status: number, elapsedMs: number): void {
    this.proxyCalls.labels(provider, String(status)).observe(elapsedMs / 1000);
  }

  /** One finished request made with the API key named `keyName`. */
  observeKeyRequest(keyName: string, status: number): void {
    const key = `${status} ${keyName}`;
    let series = this.keySeries.get(key);
    if (!series) this.keySeries.set(key, (series = this.keyRequests.labels(keyName, String(status))));
    series.inc();
  }

  /** The histogram's series per method, route and status: prom-client hashes a label object on every observe. */
  private readonly httpSeries = new Map<string, Observer>();

  /** One finished request, by route pattern; `elapsedMs` since it arrived. */
  observeRequest(method: string, route: string, status: number, elapsedMs: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.httpSeries.get(key);
    if (!series) this.httpSeries.set(key, (series = this.httpDuration.labels(method, route, String(status))));
    series.observe(elapsedMs / 1000);
  }

  constructor(
    stats: ConnectionStatsRepository,
    catalog: ProviderCatalog,
    revocations: TokenRevocationsRepository,
    revocationWorker: RevocationWorker,
  ) {
    collectDefaultMetrics({ register: this.registry });
    revocationWorker.onAttempt((provider, outcome) => this.revocationAttempts.inc({ provider, outcome }));
    new Gauge({
      name: 'oauth_revocations_pending',
      help: 'Tokens queued for revocation at their provider (not yet revoked or given up), by provider',
      labelNames: ['provider'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const provider of catalog.list()) if (provider.supports.revoke) this.set({ provider: provider.name }, 0);
        for (const row of await revocations.countPendingByProvider()) this.set({ provider: row.provider }, row.n);
      },
    });
    new Gauge({
      name: 'oauth_connections',
      help: 'Stored connections by provider and status',
      labelNames: ['provider', 'status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await stats.countByProviderAndStatus())
          this.set({ provider: row.provider, status: row.status }, row.n);
      },
    });
    new Gauge({
      name: 'oauth_refresh_sweep_lag_seconds',
      help: 'How long the oldest due connection has been waiting for its refresh (0 when none is overdue)',
      labelNames: ['provider'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const provider of catalog.list()) {
          const lag = await stats.refreshLagSeconds(provider.name, provider.settings.refreshLeadSeconds);
          this.set({ provider: provider.name }, lag);
        }
      },
    });
  }
}
