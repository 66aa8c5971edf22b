import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, QueryFailedError, Repository } from 'typeorm';
import { ValidationFailed } from '../common/errors';
import { ApiKeyEntity } from './api-key.entity';
import { newApiKeySecret } from './api-key-secret';
import type { Scope } from './scopes';

/** What the key cache holds of an active key. */
export interface ActiveApiKey {
  id: string;
  name: string;
  scopes: Scope[];
  secretHash: string;
}

const ACTIVE_COLUMNS = `id, name, scopes, secret_hash AS "secretHash"`;

/** The api_keys table's only owner (the API, the CLI and the key cache go through it). */
@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly repo: Repository<ApiKeyEntity>) {}

  /**
   * A new key: its row, and the key itself (returned once, never stored). An active key with the same
   * name is a validation error on `name`.
   */
  async create(name: string, scopes: Scope[]): Promise<{ row: ApiKeyEntity; key: string }> {
    const { key, secretHash, prefix } = newApiKeySecret();
    const row = this.repo.create({ id: randomUUID(), name, scopes, secretHash, prefix });
    try {
      await this.repo.insert(row);
    } catch (error) {
      const constraint = (error as { driverError?: { constraint?: string } }).driverError?.constraint;
      if (error instanceof QueryFailedError && constraint === 'ux_api_keys_active_name')
        throw new ValidationFailed(`name: an active API key is already named "${name}"`);
      throw error;
    }
    return { row: await this.repo.findOneByOrFail({ id: row.id }), key };
  }

  /** Every key (up to `max`), newest first; revoked ones only when asked. Never the hash. */
  list(includeRevoked: boolean, max: number): Promise<ApiKeyEntity[]> {
    return this.repo.find({
      take: max,
      select: ['id', 'name', 'scopes', 'prefix', 'createdAt', 'lastUsedAt', 'revokedAt'],
      where: includeRevoked ? {} : { revokedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  /** Revokes an active key; false when there is none with this id. */
  async revoke(id: string, now: Date): Promise<ApiKeyEntity | undefined> {
    const [rows]: [ApiKeyEntity[], number] = await this.repo.query(
      `UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
       RETURNING id, name, scopes, prefix, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`,
      [id, now],
    );
    return rows[0];
  }

  /** All active keys, for the cache of every replica (a few rows: read in full every few seconds). */
  active(): Promise<ActiveApiKey[]> {
    return this.repo.query(`SELECT ${ACTIVE_COLUMNS} FROM api_keys WHERE revoked_at IS NULL`);
  }

  /** One active key by the hash of its secret (a key the cache has not seen yet). */
  async activeByHash(secretHash: string): Promise<ActiveApiKey | undefined> {
    const rows: ActiveApiKey[] = await this.repo.query(
      `SELECT ${ACTIVE_COLUMNS} FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL`,
      [secretHash],
    );
    return rows[0];
  }

  /** Records when keys were last used (one statement for all of them); never moves a time back. */
  async recordUse(uses: { id: string; at: Date }[]): Promise<void> {
    if (!uses.length) return;
    await this.repo.query(
      `UPDATE api_keys k SET last_used_at = GREATEST(k.last_used_at, u.at)
         FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)
        WHERE k.id = u.id`,
      [uses.map((u) => u.id), uses.map((u) => u.at)],
    );
  }
}
