import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ConnectionEntity, ConnectionStatus } from './connection.entity';

export interface ConnectionFilter {
  provider?: string;
  ownerId?: string;
  status?: ConnectionStatus;
}

export interface KeysetPosition {
  createdAt: Date;
  id: string;
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
  | 'metadata'
> & { metadata?: Record<string, unknown> };

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class ConnectionsRepository {
  constructor(@InjectRepository(ConnectionEntity) private readonly repo: Repository<ConnectionEntity>) {}

  findById(id: string): Promise<ConnectionEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Newest first, keyset-paginated on (created_at, id); returns up to `take` rows. */
  findPage(filter: ConnectionFilter, take: number, after?: KeysetPosition): Promise<ConnectionEntity[]> {
    const query = this.repo.createQueryBuilder('c');
    if (filter.provider !== undefined) query.andWhere('c.provider = :provider', { provider: filter.provider });
    if (filter.ownerId !== undefined) query.andWhere('c.owner_id = :ownerId', { ownerId: filter.ownerId });
    if (filter.status !== undefined) query.andWhere('c.status = :status', { status: filter.status });
    if (after)
      query.andWhere('(c.created_at, c.id) < (:afterCreatedAt, :afterId)', {
        afterCreatedAt: after.createdAt,
        afterId: after.id,
      });
    return query.orderBy('c.created_at', 'DESC').addOrderBy('c.id', 'DESC').take(take).getMany();
  }

  /** Replaces the metadata; token columns and token_version are untouched. */
  async replaceMetadata(id: string, metadata: Record<string, unknown>): Promise<ConnectionEntity | null> {
    const result = await this.repo.update(
      { id },
      { metadata: metadata as QueryDeepPartialEntity<ConnectionEntity>['metadata'] },
    );
    return result.affected ? this.findById(id) : null;
  }

  /** Deletes the row; `onDeleted` runs in the same transaction (the outbox event). */
  async deleteById(
    id: string,
    onDeleted?: (tx: EntityManager, deleted: ConnectionEntity) => Promise<void>,
  ): Promise<boolean> {
    return this.repo.manager.transaction(async (tx) => {
      const row = await tx
        .getRepository(ConnectionEntity)
        .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!row) return false;
      await tx.getRepository(ConnectionEntity).delete({ id });
      await onDeleted?.(tx, row);
      return true;
    });
  }

  /**
   * Creates the connection for `key`, or, when the same account is connected again, updates that row
   * in place: same id (so the tokens' encryption context still matches), tokens replaced,
   * token_version bumped, status back to active and the failure record cleared.
   * `write` receives the row id so it can encrypt the tokens for it.
   */
  async saveForAccount(
    key: AccountKey,
    write: (id: string) => ConnectionWrite,
    onSaved?: (tx: EntityManager, connection: ConnectionEntity, created: boolean) => Promise<void>,
  ): Promise<{ connection: ConnectionEntity; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.repo.manager.transaction(async (tx) => {
          const existing = await tx
            .getRepository(ConnectionEntity)
            .findOne({ where: key, lock: { mode: 'pessimistic_write' } });
          if (!existing) {
            const id = randomUUID();
            const { metadata, ...fields } = write(id);
            const inserted = tx
              .getRepository(ConnectionEntity)
              .create({ ...fields, ...key, id, status: 'active', metadata: metadata ?? {} });
            const connection = await tx.getRepository(ConnectionEntity).save(inserted);
            await onSaved?.(tx, connection, true);
            return { connection, created: true };
          }
          const { metadata, ...fields } = write(existing.id);
          await tx
            .getRepository(ConnectionEntity)
            .createQueryBuilder()
            .update(ConnectionEntity)
            .set({
              ...fields,
              ...(metadata ? { metadata: metadata as QueryDeepPartialEntity<ConnectionEntity>['metadata'] } : {}),
              status: 'active',
              refreshFailures: 0,
              lastError: null,
              nextRefreshAt: null,
              nextVerifyAt: null,
              tokenVersion: () => 'token_version + 1',
            })
            .where('id = :id', { id: existing.id })
            .execute();
          const connection = await tx.getRepository(ConnectionEntity).findOneByOrFail({ id: existing.id });
          await onSaved?.(tx, connection, false);
          return { connection, created: false };
        });
      } catch (error) {
        // Two first connects of one account raced; the loser now finds the winner's row and updates it.
        if (
          attempt === 0 &&
          error instanceof QueryFailedError &&
          (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
        )
          continue;
        throw error;
      }
    }
  }
}
