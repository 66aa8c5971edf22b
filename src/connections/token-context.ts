import { CipherContext } from '../crypto/token-cipher';

export type TokenField = 'access_token' | 'refresh_token';

/** Encryption context of a connection's token column: binds the ciphertext to this row and field. */
export function tokenContext(connectionId: string, field: TokenField): CipherContext {
  return { table: 'connections', id: connectionId, field };
}
