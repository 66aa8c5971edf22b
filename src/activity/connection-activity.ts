import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Cron, CronExpression } from '@nestjs/schedule';
import { EntityManager, Repository } from 'typeorm';
import { deleteInBatches } from '../database/batched-delete';
import { ConnectionChange, ConnectionChanges, TokenOutcome } from '../connections/connection-changes';
import { ConnectionStatus } from '../connections/connection-status';
import { activityConfig } from './activity.config';
import {
  ACTIVITY_CODE_MAX_LENGTH,
  ACTIVITY_EVENT_MAX_LENGTH,
  ActivityType,
  ConnectionActivityEntity,
} from './connection-activity.entity';

const HOUR_MS = 3_600_000;
/**
 * Counters (connection and hour) a replica keeps between two flushes at most: a bound on its memory
 * while the database is away. Calls of a connection beyond it are not counted (and logged once per flush).
 */
const MAX_PENDING_COUNTERS = 100_000;
/** Rows one statement of the hourly purge deletes. */
const PURGE_BATCH = 5_000;
/** Event names kept with a subscription's entry (a subscription has at most 100). */
const EVENTS_MAX_ITEMS = 100;

/** Where a newest-first page ended: (created_at, id) of its last entry. */
export interface ActivityPosition {
  createdAt: Date;
  id: string;
}

/** One entry to write; the columns an entry type does not use stay NULL. */
interface NewEntry {
  connectionId: string;
  type: ActivityType;
  status?: ConnectionStatus | null;
  previousStatus?: ConnectionStatus | null;
  code?: string | null;
  subscriptionId?: string | null;
  events?: readonly string[] | null;
}

/** A subscription, as its entries name it. */
export interface SubscriptionRef {
  id: string;
  connectionId: string;
  events: readonly string[];
}

/** Counts of one connection within one hour, by status class: [2xx, 3xx, 4xx, 5xx]. */
type ClassCounts = Int32Array;

const code = (value: string | null | undefined): string | null =>
  value ? value.slice(0, ACTIVITY_CODE_MAX_LENGTH) : null;

/**
 * A connection's activity (docs/operations.md "Activity"), the only owner of `connection_activity`:
 * - the connection's changes and token outcomes, as CONNECTION_CHANGES reports them, and its
 *   subscriptions and inbound events, as the provider-events module reports them, each written in the
 *   transaction of what it records (the `tx` given): an entry exists exactly when its change committed;
 * - proxy calls, counted in memory per replica by connection, hour and status class (countProxyCall,
 *   synchronous, on the proxy's hot path) and added to one row per (connection, hour, class) with one
 *   upsert by flushProxyCalls, which ProxyCallFlusher runs every few seconds and at shutdown. What a
 *   replica has not flushed when it dies is lost (seconds' worth of counts).
 * Entries are never a token, code, secret, payload or provider text: statuses, the service's own codes,
 * event names, counts. Kept ACTIVITY_RETENTION_DAYS, purged hourly in batches.
 */
@Injectable()
export class ConnectionActivity implements ConnectionChanges {
  private readonly logger = new Logger('Activity');
  /** Hour start (ms) → connection id → counts. */
  private pending = new Map<number, Map<string, ClassCounts>>();
  private pendingCounters = 0;
  private dropped = 0;
  /** The hour countProxyCall last counted in, and its map: the common case costs no hour lookup. */
  private currentHour = -1;
  private current?: Map<string, ClassCounts>;

  constructor(
    @InjectRepository(ConnectionActivityEntity) private readonly repo: Repository<ConnectionActivityEntity>,
    @Inject(activityConfig.KEY) private readonly config: ConfigType<typeof activityConfig>,
  ) {}

  // --- what other modules record, in their transaction ---

  /** A connection's change (CONNECTION_CHANGES, after the webhook outbox). */
  async record(tx: EntityManager, change: ConnectionChange): Promise<void> {
    const c = change.connection;
    switch (change.type) {
      case 'created':
        return this.insert(tx, { connectionId: c.id, type: 'connected', status: c.status });
      case 'reconnected':
        return this.insert(tx, { connectionId: c.id, type: 'reconnected', status: c.status });
      case 'deleted':
        return this.insert(tx, { connectionId: c.id, type: 'deleted', status: c.status });
      case 'status_changed':
        return this.insert(tx, {
          connectionId: c.id,
          // The provider reported the uninstall: its own entry rather than a status change.
          type: c.status === ConnectionStatus.Revoked ? 'revoked' : 'status_changed',
          status: c.status,
          previousStatus: change.from,
          code: code(c.lastError?.code),
        });
    }
  }

  /** A refresh's or whoami check's outcome (CONNECTION_CHANGES). */
  recordOutcome(tx: EntityManager, outcome: TokenOutcome): Promise<void> {
    return this.insert(tx, {
      connectionId: outcome.connectionId,
      type: outcome.type,
      code: 'code' in outcome ? code(outcome.code) : null,
    });
  }

  /** A subscription registered at the provider, or removed (the provider-events module). */
  recordSubscription(
    tx: EntityManager,
    type: 'subscription_created' | 'subscription_removed',
    subscription: SubscriptionRef,
  ): Promise<void> {
    return this.insert(tx, {
      connectionId: subscription.connectionId,
      type,
      subscriptionId: subscription.id,
      events: subscription.events.slice(0, EVENTS_MAX_ITEMS),
    });
  }

  /** An inbound provider event for the connection: its type only, never its payload. */
  recordInboundEvent(tx: EntityManager, connectionId: string, eventType: string): Promise<void> {
    return this.insert(tx, { connectionId, type: 'inbound_event', events: [eventType] });
  }

  private async insert(tx: EntityManager, e: NewEntry): Promise<void> {
    await tx.query(
      `INSERT INTO connection_activity (connection_id, type, status, previous_status, code, subscription_id, events)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        e.connectionId,
        e.type,
        e.status ?? null,
        e.previousStatus ?? null,
        e.code ?? null,
        e.subscriptionId ?? null,
        e.events ? e.events.map((name) => name.slice(0, ACTIVITY_EVENT_MAX_LENGTH)) : null,
      ],
    );
  }

  // --- proxy calls ---

  /**
   * One proxy call the provider answered with `status` (the proxy, once per call): counted in memory,
   * written by the next flush. Synchronous and without allocation once the connection has a counter
   * this period; statuses outside 200–599 are not counted.
   */
  countProxyCall(connectionId: string, status: number, at = Date.now()): void {
    const index = ((status / 100) | 0) - 2;
    if (index < 0 || index > 3) return;
    const hour = at - (at % HOUR_MS);
    let byConnection = this.current;
    if (hour !== this.currentHour || !byConnection) {
      byConnection = this.pending.get(hour);
      if (!byConnection) this.pending.set(hour, (byConnection = new Map<string, ClassCounts>()));
      this.currentHour = hour;
      this.current = byConnection;
    }
    let counts = byConnection.get(connectionId);
    if (!counts) {
      if (this.pendingCounters >= MAX_PENDING_COUNTERS) {
        this.dropped++;
        return;
      }
      byConnection.set(connectionId, (counts = new Int32Array(4)));
      this.pendingCounters++;
    }
    counts[index]++;
  }

  /**
   * Adds the counts so far to the table: one upsert per (connection, hour, class), in one statement,
   * in key order (two replicas flushing the same rows lock them in the same order). On failure the
   * counts are kept for the next flush.
   */
  async flushProxyCalls(): Promise<void> {
    if (this.dropped) {
      this.logger.warn({ dropped: this.dropped }, 'proxy calls not counted in the activity: too many counters pending');
      this.dropped = 0;
    }
    if (!this.pendingCounters) return;
    const batch = this.pending;
    this.pending = new Map();
    this.pendingCounters = 0;
    this.currentHour = -1;
    this.current = undefined;
    const ids: string[] = [];
    const hours: Date[] = [];
    const classes: number[] = [];
    const calls: number[] = [];
    for (const [hour, byConnection] of batch)
      for (const [id, counts] of byConnection)
        for (let i = 0; i < 4; i++)
          if (counts[i]) {
            ids.push(id);
            hours.push(new Date(hour));
            classes.push(i + 2);
            calls.push(counts[i]);
          }
    try {
      await this.repo.query(
        `INSERT INTO connection_activity (connection_id, created_at, type, status_class, calls)
         SELECT u.connection_id, u.hour, 'proxy_calls', u.status_class, u.calls
           FROM unnest($1::uuid[], $2::timestamptz[], $3::smallint[], $4::int[]) AS u(connection_id, hour, status_class, calls)
          ORDER BY u.connection_id, u.hour, u.status_class
         ON CONFLICT (connection_id, created_at, status_class) WHERE type = 'proxy_calls'
         DO UPDATE SET calls = connection_activity.calls + EXCLUDED.calls`,
        [ids, hours, classes, calls],
      );
    } catch (error) {
      this.restore(batch);
      throw error;
    }
  }

  /** Counts that could not be written, back into the pending ones. */
  private restore(batch: Map<number, Map<string, ClassCounts>>): void {
    for (const [hour, byConnection] of batch)
      for (const [id, counts] of byConnection) {
        let into = this.pending.get(hour);
        if (!into) this.pending.set(hour, (into = new Map<string, ClassCounts>()));
        const existing = into.get(id);
        if (existing) for (let i = 0; i < 4; i++) existing[i] += counts[i];
        else {
          into.set(id, counts);
          this.pendingCounters++;
        }
      }
    this.currentHour = -1;
    this.current = undefined;
  }

  // --- reads ---

  /** One connection's entries, newest first (created_at, then id), after `after`; at most `limit`. */
  page(connectionId: string, limit: number, after?: ActivityPosition): Promise<ConnectionActivityEntity[]> {
    const query = this.repo.createQueryBuilder('a').where('a.connection_id = :connectionId', { connectionId });
    if (after)
      query.andWhere('(a.created_at, a.id) < (:afterCreatedAt, :afterId)', {
        afterCreatedAt: after.createdAt,
        afterId: after.id,
      });
    return query.orderBy('a.created_at', 'DESC').addOrderBy('a.id', 'DESC').limit(limit).getMany();
  }

  /** Whether any entry of the connection is kept (a deleted connection's, within the retention). */
  async hasAny(connectionId: string): Promise<boolean> {
    const rows: unknown[] = await this.repo.query(
      `SELECT 1 FROM connection_activity WHERE connection_id = $1 LIMIT 1`,
      [connectionId],
    );
    return rows.length > 0;
  }

  // --- retention ---

  /** Entries older than ACTIVITY_RETENTION_DAYS go, hourly, `batch` rows per statement. */
  @Cron(CronExpression.EVERY_HOUR)
  async purge(now = new Date(), batch = PURGE_BATCH): Promise<number> {
    const purged = await deleteInBatches(
      (sql, params) => this.repo.query(sql, params),
      'connection_activity',
      'created_at < $1',
      [new Date(now.getTime() - this.config.retentionMs)],
      batch,
    );
    if (purged) this.logger.log({ purged }, 'purged connection activity past its retention');
    return purged;
  }
}
