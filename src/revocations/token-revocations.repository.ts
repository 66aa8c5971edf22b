import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, Repository } from 'typeorm';
import { TokenCipher } from '../crypto/token-cipher';
import { revocationContext } from './revocation-context';
import { RevocationError, RevocationReason, TokenRevocationEntity } from './token-revocation.entity';
import { deleteInBatches } from '../database/batched-delete';

export interface TokensToRevoke {
  provider: string;
  connectionId: string;
  reason: RevocationReason;
  /** Plaintext; encrypted here for the new row. */
  accessToken: string;
  refreshToken?: string;
}

/** A queued row's stored envelopes, as key rotation reads and writes them. */
export interface QueuedEnvelopes {
  id: string;
  access_token: string;
  refresh_token: string | null;
}

export interface FailedRevocation {
  attempts: number;
  lastError: RevocationError;
  nextAttemptAt: Date;
}

/**
 * The token_revocations table's only owner: queued tokens (encrypted for their row), the worker's
 * claims and leases, outcomes, and the pending figures for metrics. Every outcome is written only while
 * the caller still holds the row's lease, and a finished row loses its ciphertext in the same statement.
 */
@Injectable()
export class TokenRevocationsRepository {
  constructor(
    @InjectRepository(TokenRevocationEntity) private readonly repo: Repository<TokenRevocationEntity>,
    private readonly cipher: TokenCipher,
  ) {}

  /** A pending revocation, due now, inside the caller's transaction (it commits with the change that queued it). */
  async enqueue(tx: EntityManager, tokens: TokensToRevoke, now = new Date()): Promise<string> {
    const id = randomUUID();
    await tx.getRepository(TokenRevocationEntity).insert({
      id,
      provider: tokens.provider,
      connectionId: tokens.connectionId,
      reason: tokens.reason,
      accessToken: this.cipher.encrypt(tokens.accessToken, revocationContext(id, 'access_token')),
      refreshToken: tokens.refreshToken
        ? this.cipher.encrypt(tokens.refreshToken, revocationContext(id, 'refresh_token'))
        : null,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
    });
    return id;
  }

  /**
   * Claims up to `limit` due pending rows for `owner` until `leaseUntil` (FOR UPDATE SKIP LOCKED, so
   * replicas take disjoint rows; a row whose lease ran out can be claimed again), oldest due first.
   * Tokens whose connection still has webhooks waiting to be unregistered with them (event_subscriptions
   * in status `removing`, docs/events.md "Deleting") wait: revoked first, they could not be removed.
   */
  async claimDue(owner: string, leaseUntil: Date, now: Date, limit: number): Promise<TokenRevocationEntity[]> {
    const [claimed]: [{ id: string }[], number] = await this.repo.query(
      `UPDATE token_revocations SET lease_owner = $1, lease_until = $2
        WHERE id IN (SELECT id FROM token_revocations
                      WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
                        AND NOT EXISTS (SELECT 1 FROM event_subscriptions s
                                         WHERE s.connection_id = token_revocations.connection_id AND s.status = 'removing')
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

  /** Extends the lease right before the provider call; false when the row is no longer ours to work on. */
  async extendLease(id: string, owner: string, leaseUntil: Date): Promise<boolean> {
    const result = await this.repo.update({ id, leaseOwner: owner, status: 'pending' }, { leaseUntil });
    return result.affected === 1;
  }

  /** The provider confirmed: done, tokens deleted. */
  async markRevoked(id: string, owner: string, attempts: number): Promise<boolean> {
    return this.finish(id, owner, { status: 'revoked', attempts, lastError: null });
  }

  /** No attempts left (or nothing more to try): given up, tokens deleted. */
  async markGivenUp(id: string, owner: string, attempts: number, lastError: RevocationError): Promise<boolean> {
    return this.finish(id, owner, { status: 'given_up', attempts, lastError });
  }

  /** Another attempt later: still pending, lease released. */
  async markAttemptFailed(id: string, owner: string, failure: FailedRevocation): Promise<boolean> {
    const result = await this.repo.update(
      { id, leaseOwner: owner, status: 'pending' },
      { ...failure, leaseOwner: null, leaseUntil: null },
    );
    return result.affected === 1;
  }

  /**
   * Not tried now (the provider's call budget is spent): due again at `nextAttemptAt`, lease released;
   * attempts and last error as they were.
   */
  async markDeferred(id: string, owner: string, nextAttemptAt: Date): Promise<boolean> {
    const result = await this.repo.update(
      { id, leaseOwner: owner, status: 'pending' },
      { nextAttemptAt, leaseOwner: null, leaseUntil: null },
    );
    return result.affected === 1;
  }

  /** Hands claimed rows back (shutdown before they were tried), due as they were. */
  async releaseLeases(ids: string[], owner: string): Promise<void> {
    if (!ids.length) return;
    await this.repo.update({ id: In(ids), leaseOwner: owner }, { leaseOwner: null, leaseUntil: null });
  }

  /** Key rotation: up to `limit` pending rows after `afterId` (by id) with a token not under the key of `currentPrefix`. */
  findPendingNotUnderKey(afterId: string, currentPrefix: string, limit: number): Promise<QueuedEnvelopes[]> {
    return this.repo.query(
      `SELECT id, access_token, refresh_token FROM token_revocations
        WHERE id > $1 AND status = 'pending'
          AND (NOT starts_with(access_token, $2) OR (refresh_token IS NOT NULL AND NOT starts_with(refresh_token, $2)))
        ORDER BY id LIMIT $3`,
      [afterId, currentPrefix, limit],
    );
  }

  /**
   * Key rotation: writes re-encrypted envelopes if the row still holds `before` (compare-and-set on the
   * envelopes), so a row the worker finished meanwhile keeps no ciphertext.
   */
  async replaceEnvelopes(before: QueuedEnvelopes, after: Omit<QueuedEnvelopes, 'id'>): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.repo.query(
      `UPDATE token_revocations SET access_token = $2, refresh_token = $3
        WHERE id = $1 AND status = 'pending' AND access_token = $4 AND refresh_token IS NOT DISTINCT FROM $5`,
      [before.id, after.access_token, after.refresh_token, before.access_token, before.refresh_token],
    );
    return affected === 1;
  }

  /** Pending revocations per provider (metrics). */
  /** Deletes finished rows (revoked or given up, holding no token) updated before `before`, in batches. */
  purgeFinishedBefore(before: Date): Promise<number> {
    return deleteInBatches(
      (sql, params) => this.repo.query(sql, params),
      'token_revocations',
      `status <> 'pending' AND updated_at < $1`,
      [before],
    );
  }

  async countPendingByProvider(): Promise<{ provider: string; n: number }[]> {
    const rows: { provider: string; n: string }[] = await this.repo.query(
      `SELECT provider, count(*) AS n FROM token_revocations WHERE status = 'pending' GROUP BY provider`,
    );
    return rows.map((r) => ({ provider: r.provider, n: Number(r.n) }));
  }

  private async finish(
    id: string,
    owner: string,
    outcome: Pick<TokenRevocationEntity, 'status' | 'attempts' | 'lastError'>,
  ): Promise<boolean> {
    const result = await this.repo.update(
      { id, leaseOwner: owner, status: 'pending' },
      { ...outcome, accessToken: null, refreshToken: null, leaseOwner: null, leaseUntil: null },
    );
    return result.affected === 1;
  }
}
