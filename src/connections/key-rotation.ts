import { DataSource } from 'typeorm';
import { TokenEnvelopes, TokenRotationRepository } from './persistence/token-rotation.repository';
import { tokenContext } from './token-context';
import { DecryptionError, TokenCipher } from '../crypto/token-cipher';

export interface RotationReport {
  /** Rows re-encrypted under the current key by this run. */
  rotated: number;
  /** Rows whose tokens could not be decrypted (e.g. their key was already removed); left untouched. */
  failed: string[];
  currentKid: string;
}

const MAX_CAS_ATTEMPTS = 5;

/** How many connections still hold a token under another key than the current one. */
export function countConnectionsUnderRetiredKeys(dataSource: DataSource, cipher: TokenCipher): Promise<number> {
  return new TokenRotationRepository(dataSource).countNotUnderKey(cipher.currentPrefix);
}

/**
 * Re-encrypts every connection's tokens under the current key, in batches of `batchSize` rows,
 * one transaction per batch. Safe to stop at any point and run again: rows already under the current
 * key are not selected, and a killed batch rolls back.
 *
 * Each row is written with a compare-and-set on token_version, so a refresh that stores new tokens
 * meanwhile wins and rotation never writes back a stale (already rotated-away) refresh token. Rotation
 * itself does not bump token_version: the plaintext is unchanged, and a refresh in flight must not
 * lose its own compare-and-set because of a re-encryption.
 */
export async function rotateConnectionKeys(
  dataSource: DataSource,
  cipher: TokenCipher,
  options: { batchSize?: number; onBatch?: (rotated: number) => void } = {},
): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 500;
  const prefix = cipher.currentPrefix;
  const report: RotationReport = { rotated: 0, failed: [], currentKid: cipher.currentKid };
  const rows = new TokenRotationRepository(dataSource);
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch = await rows.findNotUnderKey(after, prefix, batchSize);
    if (batch.length === 0) return report;
    after = batch[batch.length - 1].id;
    await rows.inTransaction(async (tx) => {
      for (const first of batch) {
        let row: TokenEnvelopes | undefined = first;
        for (let attempt = 0; row && attempt < MAX_CAS_ATTEMPTS; attempt++) {
          let access: string;
          let refresh: string | null;
          try {
            access = cipher.reencrypt(row.access_token, tokenContext(row.id, 'access_token'));
            refresh =
              row.refresh_token === null
                ? null
                : cipher.reencrypt(row.refresh_token, tokenContext(row.id, 'refresh_token'));
          } catch (error) {
            if (!(error instanceof DecryptionError)) throw error;
            report.failed.push(row.id);
            break;
          }
          if (await rows.writeIfVersion(tx, { ...row, access_token: access, refresh_token: refresh })) {
            report.rotated++;
            break;
          }
          // A refresh stored new tokens since we read the row: read again and re-encrypt those.
          row = await rows.reread(tx, row.id);
        }
      }
    });
    options.onBatch?.(report.rotated);
  }
}
