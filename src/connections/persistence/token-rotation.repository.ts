import { DataSource, EntityManager } from 'typeorm';

/**
 * A connection's stored token envelopes and the version the rotation's compare-and-set checks. Revoked
 * connections (no tokens) are never read here: there is nothing of theirs to re-encrypt.
 */
export interface TokenEnvelopes {
  id: string;
  access_token: string;
  refresh_token: string | null;
  token_version: number;
}

/**
 * The key-rotation statements on the connections table. Built on a DataSource (not through Nest) because
 * rotation runs as a command beside the service.
 */
export class TokenRotationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Up to `limit` rows after `afterId` (by id) with a token not under the key of `currentPrefix`. */
  findNotUnderKey(afterId: string, currentPrefix: string, limit: number): Promise<TokenEnvelopes[]> {
    return this.dataSource.query(
      `SELECT id, access_token, refresh_token, token_version FROM connections
        WHERE id > $1 AND access_token IS NOT NULL AND (NOT starts_with(access_token, $2) OR (refresh_token IS NOT NULL AND NOT starts_with(refresh_token, $2)))
        ORDER BY id LIMIT $3`,
      [afterId, currentPrefix, limit],
    );
  }

  /** How many rows still hold a token that is not under the key of `currentPrefix`. */
  async countNotUnderKey(currentPrefix: string): Promise<number> {
    const [row]: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM connections
        WHERE access_token IS NOT NULL
          AND (NOT starts_with(access_token, $1) OR (refresh_token IS NOT NULL AND NOT starts_with(refresh_token, $1)))`,
      [currentPrefix],
    );
    return row.n;
  }

  inTransaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Writes re-encrypted envelopes if the tokens are still those of `version` (compare-and-set). Does
   * not bump token_version: the plaintext is unchanged, and a refresh in flight must not lose its own
   * compare-and-set because of a re-encryption.
   */
  async writeIfVersion(tx: EntityManager, row: TokenEnvelopes): Promise<boolean> {
    const [, affected]: [unknown, number] = await tx.query(
      `UPDATE connections SET access_token = $1, refresh_token = $2 WHERE id = $3 AND token_version = $4`,
      [row.access_token, row.refresh_token, row.id, row.token_version],
    );
    return affected === 1;
  }

  async reread(tx: EntityManager, id: string): Promise<TokenEnvelopes | undefined> {
    const rows: TokenEnvelopes[] = await tx.query(
      `SELECT id, access_token, refresh_token, token_version FROM connections WHERE id = $1 AND access_token IS NOT NULL`,
      [id],
    );
    return rows[0];
  }
}
