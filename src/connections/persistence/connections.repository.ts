import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { afterPosition, KeysetPosition } from '../../common/keyset';
import { CONNECTION_CHANGES, ConnectionChanges } from '../connection-changes';
import { ConnectionStatus } from '../connection-status';
import { ConnectionEntity } from '../connection.entity';
import { RECONNECTED } from '../status-machine';

export interface ConnectionFilter {
  provider?: string;
  ownerId?: string;
  status?: ConnectionStatus;
}

export interface AccountKey {
  provider: string;
  ownerId: string;
  accountId: string;
}

/** Columns a (re)connect or import writes. Token fields are already encrypted for the given row id. */
export type ConnectionWrite = Omit<
  ConnectionEntity,
  | 'id'
  | 'provider'
  | 'ownerId'
  | 'accountId'
  | 'status'
  | 'createdAt'
  | 'updatedAt'
  | 'tokenVersion'
  | 'leaseOwner'
  | 'leaseUntil'
  | 'refreshFailures'
  | 'lastError'
  | 'lastRefreshedAt'
  | 'nextRefreshAt'
  | 'nextVerifyAt'
  | 'lastVerifiedAt'
  | 'revokedAt'
  | 'metadata'
> & { metadata?: Record<string, unknown> };

/**
 * Called inside the transaction of a delete or a reconnect with the row as it was (locked, tokens as
 * stored), so whatever it writes (the revocation queue) commits exactly when the change does.
 */
export type ReplacedTokensHook = (tx: EntityManager, previous: ConnectionEntity) => Promise<void>;

const UNIQUE_VIOLATION = '23505';
type Metadata = QueryDeepPartialEntity<ConnectionEntity>['metadata'];

/**
 * The connections table as the API and the browser flow use it: pages, reads, (re)connects, metadata
 * and deletes. Creations, reconnects and deletes are reported to CONNECTION_CHANGES in their transaction.
 */
@Injectable()
export class ConnectionsRepository {
  constructor(
    @InjectRepository(ConnectionEntity) private readonly repo: Repository<ConnectionEntity>,
    @Inject(CONNECTION_CHANGES) private readonly changes: ConnectionChanges,
  ) {}

  findById(id: string): Promise<ConnectionEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /**
   * The connections of one provider-side account (`account_id`, docs/providers.md), newest first: an
   * app-level provider event names the account, not the connection. Several owners may have connected
   * the same account, so this can be more than one.
   */
  findAllByAccount(provider: string, accountId: string): Promise<ConnectionEntity[]> {
    return this.repo.find({ where: { provider, accountId }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  /** The newest connection of one provider-side account, or null (findAllByAccount has them all). */
  async findByAccount(provider: string, accountId: string): Promise<ConnectionEntity | null> {
    return (await this.findAllByAccount(provider, accountId))[0] ?? null;
  }

  /** Newest first, keyset-paginated on (created_at, id); returns up to `take` rows. */
  findPage(filter: ConnectionFilter, take: number, after?: KeysetPosition): Promise<ConnectionEntity[]> {
    const query = this.repo.createQueryBuilder('c');
    if (filter.provider !== undefined) query.andWhere('c.provider = :provider', { provider: filter.provider });
    if (filter.ownerId !== undefined) query.andWhere('c.owner_id = :ownerId', { ownerId: filter.ownerId });
    if (filter.status !== undefined) query.andWhere('c.status = :status', { status: filter.status });
    return afterPosition(query, 'c', after)
      .orderBy('c.created_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .take(take)
      .getMany();
  }

  /** Replaces the metadata; token columns and token_version are untouched. */
  async replaceMetadata(id: string, metadata: Record<string, unknown>): Promise<ConnectionEntity | null> {
    const result = await this.repo.update({ id }, { metadata: metadata as Metadata });
    return result.affected ? this.findById(id) : null;
  }

  /**
   * Deletes the row and reports it, in one transaction. False when there was none. `onDeleted` sees the
   * deleted row in that transaction.
   */
  async deleteById(id: string, onDeleted?: ReplacedTokensHook): Promise<boolean> {
    return this.repo.manager.transaction(async (tx) => {
      const row = await tx
        .getRepository(ConnectionEntity)
        .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!row) return false;
      await tx.getRepository(ConnectionEntity).delete({ id });
      await onDeleted?.(tx, row);
      await this.changes.record(tx, { type: 'deleted', connection: row });
      return true;
    });
  }

  /**
   * Creates the connection for `key`, or, when the same account is connected again, updates that row
   * in place: same id (so the tokens' encryption context still matches), tokens replaced,
   * token_version bumped, and the status machine's `reconnected` bookkeeping (active, failures cleared).
   * `write` receives the row id so it can encrypt the tokens for it; on a reconnect, `onReconnect` sees
   * the row as it was before, in the same transaction.
   */
  async saveForAccount(
    key: AccountKey,
    write: (id: string) => ConnectionWrite,
    onReconnect?: ReplacedTokensHook,
  ): Promise<{ connection: ConnectionEntity; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.repo.manager.transaction(async (tx) => {
          const rows = tx.getRepository(ConnectionEntity);
          const existing = await rows.findOne({ where: key, lock: { mode: 'pessimistic_write' } });
          if (!existing) {
            const id = randomUUID();
            const { metadata, ...fields } = write(id);
            const connection = await rows.save(
              rows.create({ ...fields, ...key, id, status: ConnectionStatus.Active, metadata: metadata ?? {} }),
            );
            await this.changes.record(tx, { type: 'created', connection });
            return { connection, created: true };
          }
          const { metadata, ...fields } = write(existing.id);
          await rows
            .createQueryBuilder()
            .update(ConnectionEntity)
            .set({
              ...fields,
              ...(metadata ? { metadata: metadata as Metadata } : {}),
              ...RECONNECTED,
              tokenVersion: () => 'token_version + 1',
            })
            .where('id = :id', { id: existing.id })
            .execute();
          await onReconnect?.(tx, existing);
          const connection = await rows.findOneByOrFail({ id: existing.id });
          await this.changes.record(tx, { type: 'reconnected', connection });
          return { connection, created: false };
        });
      } catch (error) {
        // Two first connects of one account raced; the loser now finds the winner's row and updates it.
        const code = error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
        if (attempt === 0 && code === UNIQUE_VIOLATION) continue;
        throw error;
      }
    }
  }
}
