import { CipherContext } from '../crypto/token-cipher';

export type RevocationTokenField = 'access_token' | 'refresh_token';

/**
 * Encryption context of a queued token: bound to the token_revocations row, so the ciphertext is never
 * the connection's envelope and cannot be moved to another row or table.
 */
export function revocationContext(id: string, field: RevocationTokenField): CipherContext {
  return { table: 'token_revocations', id, field };
}
