import { randomBytes } from 'node:crypto';
import { hashSecret } from '../crypto/secret-hash';

/** Keys made by this service: `ock_` + 32 random bytes, base64url (47 characters). */
export const KEY_PREFIX = 'ock_';
export const KEY_PATTERN = /^ock_[A-Za-z0-9_-]{43}$/;
/** Characters of a key kept for display: `ock_` and the first 6 of the random part. */
const DISPLAY_LENGTH = KEY_PREFIX.length + 6;

/** SHA-256 (hex) of a presented or new key: the only form of a key the service keeps. */
export const hashApiKey: (key: string) => string = hashSecret;

export interface NewApiKeySecret {
  key: string;
  secretHash: string;
  prefix: string;
}

export function newApiKeySecret(): NewApiKeySecret {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, secretHash: hashApiKey(key), prefix: key.slice(0, DISPLAY_LENGTH) };
}
