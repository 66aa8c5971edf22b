import { DataSource } from 'typeorm';
import { DecryptionError, TokenCipher } from '../crypto/token-cipher';
import { verifierContext } from './oauth-state.store';

export interface StateRotationReport {
  /** PKCE verifiers re-encrypted under the current key. */
  rotated: number;
  /** States whose verifier could not be decrypted (its key already removed); left untouched. */
  failed: string[];
}

interface VerifierRow {
  id: string;
  code_verifier: string;
}

/**
 * The key-rotation statements on oauth_states (this folder owns the table): PKCE verifiers of flows in
 * progress are encrypted like tokens. A state lives ten minutes, so the set is small; each verifier is
 * written only if it is still the one read (a consumed or purged state is simply skipped).
 */
export async function rotateStateKeys(
  dataSource: DataSource,
  cipher: TokenCipher,
  batchSize = 500,
): Promise<StateRotationReport> {
  const prefix = cipher.currentPrefix;
  const report: StateRotationReport = { rotated: 0, failed: [] };
  for (let after = '00000000-0000-0000-0000-000000000000'; ;) {
    const rows: VerifierRow[] = await dataSource.query(
      `SELECT id, code_verifier FROM oauth_states
        WHERE id > $1 AND code_verifier IS NOT NULL AND NOT starts_with(code_verifier, $2)
        ORDER BY id LIMIT $3`,
      [after, prefix, batchSize],
    );
    if (!rows.length) return report;
    after = rows[rows.length - 1].id;
    for (const row of rows) {
      let envelope: string;
      try {
        envelope = cipher.reencrypt(row.code_verifier, verifierContext(row.id));
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        report.failed.push(row.id);
        continue;
      }
      const [, affected]: [unknown, number] = await dataSource.query(
        `UPDATE oauth_states SET code_verifier = $1 WHERE id = $2 AND code_verifier = $3`,
        [envelope, row.id, row.code_verifier],
      );
      if (affected === 1) report.rotated++;
    }
  }
}

/** How many flow states still hold a verifier under another key than the current one. */
export async function countStatesUnderRetiredKeys(dataSource: DataSource, cipher: TokenCipher): Promise<number> {
  const [row]: { n: number }[] = await dataSource.query(
    `SELECT count(*)::int AS n FROM oauth_states WHERE code_verifier IS NOT NULL AND NOT starts_with(code_verifier, $1)`,
    [cipher.currentPrefix],
  );
  return row.n;
}
