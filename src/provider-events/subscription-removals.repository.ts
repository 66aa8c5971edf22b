import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { TokenCipher } from '../crypto/token-cipher';
import { EventSubscriptionEntity } from './event-subscription.entity';
import { subscriptionTokenContext } from './subscription-context';

/** Where a removal goes once its connection row is gone. */
export interface RemovalTarget {
  apiBase: string;
  accountId: string;
  workspaceId: string | null;
}

/** A removal to queue: the subscription and what its unregistration needs. */
export interface QueuedRemoval {
  id: string;
  /** Plaintext; encrypted here for the subscription's row. */
  accessToken: string;
  target: RemovalTarget;
  /** Attempts already made (the DELETE's own, when it tried). */
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
}

/**
 * The removal queue on event_subscriptions (rows in status `removing`): queued in a connection's delete
 * transaction, claimed by the removal worker with a lease (FOR UPDATE SKIP LOCKED), and finished by
 * deleting the row (removed at the provider, or given up). Every outcome is written only while the
 * caller holds the row's lease.
 */
@Injectable()
export class SubscriptionRemovalsRepository {
  constructor(
    @InjectRepository(EventSubscriptionEntity) private readonly repo: Repository<EventSubscriptionEntity>,
    private readonly cipher: TokenCipher,
  ) {}

  /** Turns subscriptions into pending removals, inside the caller's transaction (the connection's delete). */
  async enqueue(tx: EntityManager, removals: readonly QueuedRemoval[]): Promise<void> {
    for (const removal of removals)
      await tx.query(
        `UPDATE event_subscriptions
            SET status = 'removing', access_token = $2, removal_target = $3, attempts = $4, last_error = $5,
                next_attempt_at = $6, lease_owner = NULL, lease_until = NULL, updated_at = now()
          WHERE id = $1`,
        [
          removal.id,
          this.cipher.encrypt(removal.accessToken, subscriptionTokenContext(removal.id)),
          JSON.stringify(removal.target),
          removal.attempts,
          removal.lastError,
          removal.nextAttemptAt,
        ],
      );
  }

  /** The ids of a connection's registered subscriptions (not yet queued), inside the caller's transaction. */
  async registeredOfConnection(tx: EntityManager, connectionId: string): Promise<string[]> {
    const rows: { id: string }[] = await tx.query(
      `SELECT id FROM event_subscriptions
        WHERE connection_id = $1 AND status <> 'removing' AND cardinality(remote_ids) > 0`,
      [connectionId],
    );
    return rows.map((r) => r.id);
  }

  /** The rest of a deleted connection's subscriptions (unregistered, or nothing to unregister), in its delete transaction. */
  async deleteOthersOfConnection(tx: EntityManager, connectionId: string): Promise<void> {
    await tx.query(`DELETE FROM event_subscriptions WHERE connection_id = $1 AND status <> 'removing'`, [connectionId]);
  }

  /** Claims up to `limit` due removals for `owner` until `leaseUntil`, oldest due first. */
  async claimDue(owner: string, leaseUntil: Date, now: Date, limit: number): Promise<EventSubscriptionEntity[]> {
    const [claimed]: [{ id: string }[], number] = await this.repo.query(
      `UPDATE event_subscriptions SET lease_owner = $1, lease_until = $2
        WHERE id IN (SELECT id FROM event_subscriptions
                      WHERE status = 'removing' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
                      ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [owner, leaseUntil, now, limit],
    );
    if (!claimed.length) return [];
    return this.repo.find({
      where: { id: In(claimed.map((c) => c.id)), leaseOwner: owner },
      order: { nextAttemptAt: 'ASC', id: 'ASC' },
    });
  }

  /** Extends the lease over a provider call; false when another owner took the row over (or it is gone). */
  async extendLease(id: string, owner: string, leaseUntil: Date): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.repo.query(
      `UPDATE event_subscriptions SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'removing'`,
      [id, owner, leaseUntil],
    );
    return affected === 1;
  }

  /** The plaintext token of a claimed removal (throws DecryptionError when its key is gone). */
  accessTokenOf(row: EventSubscriptionEntity): string {
    return this.cipher.decrypt(row.accessToken ?? '', subscriptionTokenContext(row.id));
  }

  /** Finished (removed at the provider, or given up): the row goes, and its token with it. */
  async finish(id: string, owner: string): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.repo.query(
      `DELETE FROM event_subscriptions WHERE id = $1 AND lease_owner = $2 AND status = 'removing'`,
      [id, owner],
    );
    return affected === 1;
  }

  /** A failed attempt: counted, its error code kept, due again at `nextAttemptAt`, lease released. */
  async markAttemptFailed(
    id: string,
    owner: string,
    failure: { attempts: number; lastError: string; nextAttemptAt: Date },
  ): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.repo.query(
      `UPDATE event_subscriptions
          SET attempts = $3, last_error = $4, next_attempt_at = $5, lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1 AND lease_owner = $2 AND status = 'removing'`,
      [id, owner, failure.attempts, failure.lastError, failure.nextAttemptAt],
    );
    return affected === 1;
  }

  /** At shutdown: claimed rows not tried yet are handed back, due as they were. */
  async releaseLeases(ids: readonly string[], owner: string): Promise<void> {
    if (ids.length)
      await this.repo.query(
        `UPDATE event_subscriptions SET lease_owner = NULL, lease_until = NULL
          WHERE id = ANY($1::uuid[]) AND lease_owner = $2`,
        [ids, owner],
      );
  }
}
