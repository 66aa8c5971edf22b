import { createHash } from 'node:crypto';

/** SHA-256 (hex) of a one-time secret (state, binding nonce, connect-session token): only the hash is stored. */
export const hashSecret = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
