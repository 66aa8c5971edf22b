import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, Repository } from 'typeorm';
import { afterPosition, KeysetPosition } from '../common/keyset';
import { deleteInBatches } from '../database/batched-delete';
import { DeliveryStatus, WebhookDeliveryEntity, WebhookEvent } from './webhook-delivery.entity';

export interface NewDelivery {
  /** The id to give it, when the caller must name it before it exists (an inbound event's row points at it). */
  id?: string;
  eventType: WebhookEvent;
  connectionId: string | null;
  payload: Record<string, unknown>;
}

export interface FailedAttempt {
  attempts: number;
  lastStatus: number | null;
  lastError: string;
  /** No attempts left: the delivery stays `failed` until redelivered. */
  givenUp: boolean;
  nextAttemptAt: Date;
}

/** The webhook_deliveries table's only owner: the outbox rows, their claims and their outcomes. */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(@InjectRepository(WebhookDeliveryEntity) private readonly repo: Repository<WebhookDeliveryEntity>) {}

  /** A new pending delivery, inside the caller's transaction (the change it reports commits with it); its id. */
  async enqueue(tx: EntityManager, delivery: NewDelivery, now: Date): Promise<string> {
    const id = delivery.id ?? randomUUID();
    await tx.getRepository(WebhookDeliveryEntity).insert({
      id,
      eventType: delivery.eventType,
      connectionId: delivery.connectionId,
      payload: delivery.payload as WebhookDeliveryEntity['payload'] & object,
      status: 'pending',
      nextAttemptAt: now,
    });
    return id;
  }

  /**
   * Claims up to `limit` due deliveries for `owner` until `leaseUntil` (FOR UPDATE SKIP LOCKED, so
   * replicas take disjoint rows), oldest first.
   */
  async claimDue(owner: string, leaseUntil: Date, now: Date, limit: number): Promise<WebhookDeliveryEntity[]> {
    const [claimed]: [{ id: string }[], number] = await this.repo.query(
      `UPDATE webhook_deliveries SET lease_owner = $1, lease_until = $2
        WHERE id IN (SELECT id FROM webhook_deliveries
                      WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
                      ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [owner, leaseUntil, now, limit],
    );
    if (!claimed.length) return [];
    return this.repo.find({ where: { id: In(claimed.map((c) => c.id)) }, order: { createdAt: 'ASC' } });
  }

  async markDelivered(id: string, attempts: number, lastStatus: number | null): Promise<void> {
    await this.repo.update(
      { id },
      {
        status: 'delivered',
        attempts,
        lastStatus,
        lastError: null,
        deliveredAt: new Date(),
        leaseOwner: null,
        leaseUntil: null,
      },
    );
  }

  async markAttemptFailed(id: string, attempt: FailedAttempt): Promise<void> {
    await this.repo.update(
      { id },
      {
        status: attempt.givenUp ? 'failed' : 'pending',
        attempts: attempt.attempts,
        lastStatus: attempt.lastStatus,
        lastError: attempt.lastError,
        nextAttemptAt: attempt.nextAttemptAt,
        leaseOwner: null,
        leaseUntil: null,
      },
    );
  }

  /** Newest first, keyset-paginated on (created_at, id); up to `take` rows. */
  findPage(status: DeliveryStatus | undefined, take: number, after?: KeysetPosition): Promise<WebhookDeliveryEntity[]> {
    const query = this.repo.createQueryBuilder('d');
    if (status) query.andWhere('d.status = :status', { status });
    return afterPosition(query, 'd', after)
      .orderBy('d.created_at', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .take(take)
      .getMany();
  }

  /**
   * Deletes delivered and failed deliveries created before `before`, in batches (the first purge after
   * an upgrade may face a large table and a statement timeout); returns how many.
   */
  purgeFinishedBefore(before: Date): Promise<number> {
    return deleteInBatches(
      (sql, params) => this.repo.query(sql, params),
      'webhook_deliveries',
      `status IN ('delivered', 'failed') AND created_at < $1`,
      [before],
    );
  }

  /** Back to pending, due now; null when there is no such delivery. */
  async redeliver(id: string, now: Date): Promise<WebhookDeliveryEntity | null> {
    const result = await this.repo.update(
      { id },
      { status: 'pending', nextAttemptAt: now, leaseOwner: null, leaseUntil: null },
    );
    return result.affected ? this.repo.findOneByOrFail({ id }) : null;
  }
}
