import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Cron, CronExpression, SchedulerRegistry } from '@nestjs/schedule';
import { HttpClient } from '../common/http-client';
import { LeasedQueue } from '../common/leased-queue';
import { newLeaseOwner } from '../common/lease-owner';
import { backoffDelay } from '../common/backoff';
import { signatureHeader } from './signature';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { webhooksConfig } from './webhooks.config';
import { withSpan, type SpanScope } from '../telemetry/spans';

const TIMER = 'webhook-dispatch';
const BATCH = 50;
/** Claims a round at most, so one round cannot go on forever. */
const MAX_BATCHES = 20;
const LEASE_MS = 60_000;

/**
 * Sends pending deliveries to WEBHOOK_URL with Standard Webhooks headers. Replicas claim disjoint rows
 * (FOR UPDATE SKIP LOCKED + lease); a non-2xx answer or a network error schedules a retry with
 * exponential backoff and jitter; after WEBHOOK_MAX_ATTEMPTS the delivery is `failed` (and can be
 * redelivered through the API).
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly owner = newLeaseOwner();
  private readonly runner: LeasedQueue<number>;

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly http: HttpClient,
    scheduler: SchedulerRegistry,
    @Inject(webhooksConfig.KEY) private readonly config: ConfigType<typeof webhooksConfig>,
  ) {
    this.runner = new LeasedQueue(TIMER, scheduler, this.logger, (now) => this.dispatch(now));
  }

  onApplicationBootstrap(): void {
    if (this.config.url) this.runner.start(this.config.dispatchIntervalMs, 'dispatch failed');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }

  /** Hourly: delivered and failed deliveries older than WEBHOOK_RETENTION_DAYS go; pending ones stay. */
  @Cron(CronExpression.EVERY_HOUR)
  async purge(now = new Date()): Promise<number> {
    const purged = await this.deliveries.purgeFinishedBefore(new Date(now.getTime() - this.config.retentionMs));
    if (purged) this.logger.log({ purged }, 'purged old webhook deliveries');
    return purged;
  }

  /** One round: sends every due delivery once. Returns how many were attempted. */
  runOnce(now = new Date()): Promise<number> {
    return this.runner.run(now);
  }

  private async dispatch(now: Date): Promise<number> {
    if (!this.config.url || !this.config.secrets.length) return 0;
    const started = Date.now();
    // The round's clock: `now`, advancing with real time, so a later claim's lease is not already over.
    const leaseUntil = () => new Date(now.getTime() + (Date.now() - started) + LEASE_MS);
    // Claims until the queue is drained (at most MAX_BATCHES a round), WEBHOOK_DISPATCH_CONCURRENCY at a
    // time. No onError: a delivery whose outcome cannot be recorded ends the round (logged as `dispatch
    // failed`); the rest of its batch waits for its lease to run out.
    return this.runner.drain({
      claim: (limit) => this.deliveries.claimDue(this.owner, leaseUntil(), now, limit),
      batchSize: BATCH,
      maxBatches: MAX_BATCHES,
      concurrency: this.config.dispatchConcurrency,
      process: (delivery) =>
        // A `webhook.delivery` span (a trace of its own) per attempt; the POST is its child.
        withSpan(
          'webhook.delivery',
          {
            'webhook.delivery_id': delivery.id,
            'webhook.event_type': delivery.eventType,
            'webhook.attempt': delivery.attempts + 1,
            'connection.id': delivery.connectionId ?? undefined,
          },
          (span) => this.send(delivery, now, span),
        ),
    });
  }

  private async send(delivery: WebhookDeliveryEntity, now: Date, span: SpanScope): Promise<void> {
    const body = JSON.stringify(delivery.payload);
    const msgId = `msg_${delivery.id}`;
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.http.send({
        method: 'POST',
        url: this.config.url!,
        headers: {
          'Content-Type': 'application/json',
          'webhook-id': msgId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(this.config.secrets, msgId, timestamp, body),
        },
        rawBody: body,
      });
      status = res.status;
      span.setAttribute('http.response.status_code', res.status);
      if (res.status < 200 || res.status >= 300) error = `receiver answered ${res.status}`;
    } catch (e) {
      error = e instanceof Error ? e.message.slice(0, 300) : 'delivery failed';
    }
    const attempts = delivery.attempts + 1;
    if (!error) {
      span.setAttribute('outcome', 'delivered');
      await this.deliveries.markDelivered(delivery.id, attempts, status);
      return;
    }
    const givenUp = attempts >= this.config.maxAttempts;
    span.setAttribute('outcome', givenUp ? 'failed' : 'retry_scheduled');
    this.logger.warn(
      { deliveryId: delivery.id, event: delivery.eventType, attempts, status, failed: givenUp },
      'webhook delivery failed',
    );
    await this.deliveries.markAttemptFailed(delivery.id, {
      attempts,
      lastStatus: status,
      lastError: error,
      givenUp,
      nextAttemptAt: new Date(now.getTime() + backoffDelay(attempts, this.config.retryBaseMs, this.config.retryMaxMs)),
    });
  }
}
