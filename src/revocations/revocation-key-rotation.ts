import { DataSource } from 'typeorm';
import { DecryptionError, TokenCipher } from '../crypto/token-cipher';
import { revocationContext, RevocationTokenField } from './revocation-context';
import { TokenRevocationEntity } from './token-revocation.entity';
import { TokenRevocationsRepository } from './token-revocations.repository';

export interface RevocationRotationReport {
  /** Queued rows re-encrypted under the current key by this run. */
  rotated: number;
  /** Queued rows whose tokens could not be decrypted (their key already removed); left untouched. */
  failed: string[];
}

/**
 * Re-encrypts the tokens of pending revocations under the current key (`npm run keys:rotate`, beside
 * the connections' rotation), so removing the old key afterwards does not leave queued tokens that can
 * no longer be revoked. Finished rows hold no tokens. Safe to run while the worker runs: each row is a
 * compare-and-set on its envelopes, and a row the worker finished meanwhile is skipped.
 */
export async function rotateRevocationKeys(
  dataSource: DataSource,
  cipher: TokenCipher,
  options: { batchSize?: number } = {},
): Promise<RevocationRotationReport> {
  const batchSize = options.batchSize ?? 500;
  const prefix = cipher.currentPrefix;
  const revocations = new TokenRevocationsRepository(dataSource.getRepository(TokenRevocationEntity), cipher);
  const report: RevocationRotationReport = { rotated: 0, failed: [] };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch = await revocations.findPendingNotUnderKey(after, prefix, batchSize);
    if (batch.length === 0) return report;
    after = batch[batch.length - 1].id;
    for (const row of batch) {
      const reencrypt = (envelope: string, field: RevocationTokenField) =>
        cipher.reencrypt(envelope, revocationContext(row.id, field));
      let next: { access_token: string; refresh_token: string | null };
      try {
        next = {
          access_token: reencrypt(row.access_token, 'access_token'),
          refresh_token: row.refresh_token === null ? null : reencrypt(row.refresh_token, 'refresh_token'),
        };
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        report.failed.push(row.id);
        continue;
      }
      if (await revocations.replaceEnvelopes(row, next)) report.rotated++;
    }
  }
}

/** How many pending revocations still hold a token under another key than the current one. */
export async function countRevocationsUnderRetiredKeys(dataSource: DataSource, cipher: TokenCipher): Promise<number> {
  const [row]: { n: number }[] = await dataSource.query(
    `SELECT count(*)::int AS n FROM token_revocations
      WHERE status = 'pending'
        AND ((access_token IS NOT NULL AND NOT starts_with(access_token, $1))
          OR (refresh_token IS NOT NULL AND NOT starts_with(refresh_token, $1)))`,
    [cipher.currentPrefix],
  );
  return row.n;
}
