import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { deleteInBatches } from '../database/batched-delete';
import { EventSubscriptionEntity } from './event-subscription.entity';
import { InboundEventEntity } from './inbound-event.entity';

/** An event to record, once per (provider, dedupe key). */
export interface NewInboundEvent {
  provider: string;
  dedupeKey: string;
  subscriptionId: string | null;
  connectionId: string | null;
  eventType: string;
  eventId: string | null;
  receivedAt: Date;
}

/** The owner of `event_subscriptions` and `inbound_events`. */
@Injectable()
export class InboundEventsRepository {
  constructor(
    @InjectRepository(EventSubscriptionEntity) private readonly subscriptions: Repository<EventSubscriptionEntity>,
    @InjectRepository(InboundEventEntity) private readonly events: Repository<InboundEventEntity>,
  ) {}

  /** The subscription a delivery URL's token names, for this provider. */
  findSubscriptionByToken(provider: string, tokenHash: string): Promise<EventSubscriptionEntity | null> {
    return this.subscriptions.findOneBy({ provider, tokenHash });
  }

  /** A subscription whose registration handshake the provider completed (Keap's X-Hook-Secret). */
  async markVerified(id: string): Promise<void> {
    await this.subscriptions.update({ id, status: 'pending_verification' }, { status: 'active' });
  }

  /**
   * Records an event unless one with its dedupe key is already there, and runs `forward` (which queues
   * its outbound delivery and returns that delivery's id) in the same transaction: an event is either
   * stored and queued, or neither. False for a repeat.
   */
  recordOnce(
    event: NewInboundEvent,
    forward: (tx: EntityManager, eventId: string) => Promise<string | null>,
  ): Promise<boolean> {
    return this.events.manager.transaction(async (tx) => {
      const id = randomUUID();
      // An INSERT … RETURNING answers its rows (no affected count, unlike UPDATE and DELETE).
      const inserted: { id: string }[] = await tx.query(
        `INSERT INTO inbound_events (id, provider, dedupe_key, subscription_id, connection_id, event_type, event_id, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (provider, dedupe_key) DO NOTHING
         RETURNING id`,
        [
          id,
          event.provider,
          event.dedupeKey,
          event.subscriptionId,
          event.connectionId,
          event.eventType,
          event.eventId,
          event.receivedAt,
        ],
      );
      if (!inserted.length) return false;
      const deliveryId = await forward(tx, id);
      if (deliveryId) await tx.query(`UPDATE inbound_events SET delivery_id = $2 WHERE id = $1`, [id, deliveryId]);
      return true;
    });
  }

  /** Events received before `before` (their dedupe window is over), in batches. */
  purgeReceivedBefore(before: Date): Promise<number> {
    return deleteInBatches((sql, params) => this.events.query(sql, params), 'inbound_events', 'received_at < $1', [
      before,
    ]);
  }
}
