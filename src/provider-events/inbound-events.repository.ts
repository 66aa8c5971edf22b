import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { deleteInBatches } from '../database/batched-delete';
import { EventSubscriptionEntity, SubscriptionStatus } from './event-subscription.entity';
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

/** A subscription row before its registration (the URL token only as its SHA-256). */
export interface NewSubscription {
  id: string;
  connectionId: string;
  provider: string;
  events: string[];
  tokenHash: string;
}

/** The encrypted columns of event_subscriptions: a whitelist, since the name goes into the SQL. */
export type EnvelopeColumn = 'secret' | 'access_token';

/** The owner of `event_subscriptions` and `inbound_events`. */
@Injectable()
export class InboundEventsRepository {
  constructor(
    @InjectRepository(EventSubscriptionEntity) private readonly subscriptions: Repository<EventSubscriptionEntity>,
    @InjectRepository(InboundEventEntity) private readonly events: Repository<InboundEventEntity>,
  ) {}

  /**
   * A subscription about to be registered at its provider: written first, so that the provider's
   * handshake (Keap may post it before its create call returns) finds its URL token, and so that no
   * webhook is ever registered for a URL the service does not know.
   */
  async insertPendingSubscription(row: NewSubscription): Promise<boolean> {
    // Only while the connection exists, holding its row's key (FOR KEY SHARE) until the insert commits:
    // a DELETE of the connection either sees this row in its transaction or makes this insert find none.
    const inserted: { id: string }[] = await this.subscriptions.query(
      `INSERT INTO event_subscriptions (id, connection_id, provider, events, status, token_hash, remote_ids, secret)
       SELECT $1, $2, $3, $4, 'pending_verification', $5, '{}', NULL
        WHERE EXISTS (SELECT 1 FROM connections WHERE id = $2 FOR KEY SHARE)
       RETURNING id`,
      [row.id, row.connectionId, row.provider, row.events, row.tokenHash],
    );
    return inserted.length === 1;
  }

  /**
   * What the provider registered. `active` when the provider says so; otherwise the status stays as it
   * is (a handshake that arrived during the registration already made it active). Null when the row is gone.
   */
  async completeSubscription(
    id: string,
    registered: { remoteIds: string[]; secret: string | null; status: SubscriptionStatus },
    inTransaction?: (tx: EntityManager, row: EventSubscriptionEntity) => Promise<void>,
  ): Promise<EventSubscriptionEntity | null> {
    // `inTransaction` (the connection's activity) commits exactly when the row is completed.
    return this.subscriptions.manager.transaction(async (tx) => {
      const [, affected]: [unknown, number] = await tx.query(
        `UPDATE event_subscriptions
            SET remote_ids = $2, secret = $3,
                status = CASE WHEN $4 = 'active' THEN 'active' ELSE status END, updated_at = now()
          WHERE id = $1`,
        [id, registered.remoteIds, registered.secret, registered.status],
      );
      const row = affected ? await tx.getRepository(EventSubscriptionEntity).findOneBy({ id }) : null;
      if (row) await inTransaction?.(tx, row);
      return row;
    });
  }

  /** A connection's subscriptions, oldest first, at most `limit`. */
  listSubscriptionsOfConnection(connectionId: string, limit: number): Promise<EventSubscriptionEntity[]> {
    return this.subscriptions.find({ where: { connectionId }, order: { createdAt: 'ASC', id: 'ASC' }, take: limit });
  }

  /** One subscription of a connection. */
  findSubscriptionOfConnection(connectionId: string, id: string): Promise<EventSubscriptionEntity | null> {
    return this.subscriptions.findOneBy({ connectionId, id });
  }

  /** `inTransaction` (the connection's activity) runs in the delete's transaction when a row was deleted. */
  async deleteSubscription(id: string, inTransaction?: (tx: EntityManager) => Promise<void>): Promise<void> {
    if (!inTransaction) {
      await this.subscriptions.delete({ id });
      return;
    }
    await this.subscriptions.manager.transaction(async (tx) => {
      const { affected } = await tx.getRepository(EventSubscriptionEntity).delete({ id });
      if (affected) await inTransaction(tx);
    });
  }

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
   * its outbound delivery under `deliveryId`) in the same transaction: an event is either stored and
   * queued, or neither. The row names its delivery from the start (`deliveryId`, null when nothing is
   * forwarded), so it takes one statement. False for a repeat.
   */
  recordOnce(
    event: NewInboundEvent,
    deliveryId: string | null,
    forward: (tx: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    return this.events.manager.transaction(async (tx) => {
      // An INSERT … RETURNING answers its rows (no affected count, unlike UPDATE and DELETE).
      const inserted: { id: string }[] = await tx.query(
        `INSERT INTO inbound_events (id, provider, dedupe_key, subscription_id, connection_id, event_type, event_id, received_at, delivery_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (provider, dedupe_key) DO NOTHING
         RETURNING id`,
        [
          randomUUID(),
          event.provider,
          event.dedupeKey,
          event.subscriptionId,
          event.connectionId,
          event.eventType,
          event.eventId,
          event.receivedAt,
          deliveryId,
        ],
      );
      if (!inserted.length) return false;
      await forward(tx);
      return true;
    });
  }

  /**
   * Subscriptions whose envelope in `column` (the provider's signing secret, or the token a removal
   * keeps) is not under the key `prefix` names, after id `after` (key rotation).
   */
  findEnvelopesNotUnderKey(
    column: EnvelopeColumn,
    after: string,
    prefix: string,
    limit: number,
  ): Promise<{ id: string; envelope: string }[]> {
    return this.subscriptions.query(
      `SELECT id, ${column} AS envelope FROM event_subscriptions
        WHERE id > $1 AND ${column} IS NOT NULL AND NOT starts_with(${column}, $2) ORDER BY id LIMIT $3`,
      [after, prefix, limit],
    );
  }

  /** Replaces an envelope if it is still `old` (compare-and-set: safe beside a running app). */
  async replaceEnvelope(column: EnvelopeColumn, id: string, old: string, next: string): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.subscriptions.query(
      `UPDATE event_subscriptions SET ${column} = $3 WHERE id = $1 AND ${column} = $2`,
      [id, old, next],
    );
    return affected === 1;
  }

  /** How many envelopes (secrets and kept tokens) are under another key than the one `prefix` names. */
  async countEnvelopesNotUnderKey(prefix: string): Promise<number> {
    const [row]: { n: number }[] = await this.subscriptions.query(
      `SELECT count(*) FILTER (WHERE secret IS NOT NULL AND NOT starts_with(secret, $1))::int
            + count(*) FILTER (WHERE access_token IS NOT NULL AND NOT starts_with(access_token, $1))::int AS n
         FROM event_subscriptions`,
      [prefix],
    );
    return row.n;
  }

  /** Events received before `before` (their dedupe window is over), in batches. */
  purgeReceivedBefore(before: Date): Promise<number> {
    return deleteInBatches((sql, params) => this.events.query(sql, params), 'inbound_events', 'received_at < $1', [
      before,
    ]);
  }

  /**
   * A connection's newest events (the console's connection page), newest first, at most `limit`, each
   * with the state of the `provider.event` delivery it became: `deliveryStatus` is null when it was not
   * forwarded (`deliveryId` null: no WEBHOOK_URL) or its delivery is no longer kept (purged after
   * WEBHOOK_RETENTION_DAYS). The limit is applied on ix_inbound_events_connection before the join, so
   * a busy connection costs `limit` rows. Never the payload: it is only in the delivery, and not read.
   */
  async latestEventsOfConnection(connectionId: string, limit: number): Promise<InboundEventWithDelivery[]> {
    const rows: {
      id: string;
      event_type: string;
      received_at: Date;
      delivery_id: string | null;
      delivery_status: string | null;
    }[] = await this.events.query(
      `SELECT e.id, e.event_type, e.received_at, e.delivery_id, d.status AS delivery_status
         FROM (SELECT id, event_type, received_at, delivery_id FROM inbound_events
                WHERE connection_id = $1 ORDER BY received_at DESC, id DESC LIMIT $2) e
         LEFT JOIN webhook_deliveries d ON d.id = e.delivery_id
        ORDER BY e.received_at DESC, e.id DESC`,
      [connectionId, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      eventType: r.event_type,
      receivedAt: r.received_at,
      deliveryId: r.delivery_id,
      deliveryStatus: r.delivery_status,
    }));
  }
}

/** One row of latestEventsOfConnection. */
export interface InboundEventWithDelivery {
  id: string;
  eventType: string;
  receivedAt: Date;
  deliveryId: string | null;
  /** The delivery's status (webhook_deliveries.status: pending, delivered, failed). */
  deliveryStatus: string | null;
}
