import { randomBytes } from 'node:crypto';

export interface EncryptionKey {
  kid: string;
  key: Buffer;
}

export interface Keyring {
  /** The key new ciphertexts are written with (the first entry of ENCRYPTION_KEYS). */
  current: EncryptionKey;
  byKid: ReadonlyMap<string, Buffer>;
}

const KID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `kid1:<base64 32 bytes>,kid0:<...>`. Throws messages that say which entry is wrong
 * (by position and kid) and never include key material.
 */
export function parseKeyring(spec: string): Keyring {
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('must list at least one key as kid:base64');
  const byKid = new Map<string, Buffer>();
  const ordered: EncryptionKey[] = [];
  entries.forEach((entry, index) => {
    const sep = entry.indexOf(':');
    const kid = sep > 0 ? entry.slice(0, sep) : '';
    const encoded = sep > 0 ? entry.slice(sep + 1) : '';
    if (!KID.test(kid))
      throw new Error(`entry ${index + 1} must be kid:base64 with a kid of 1-32 letters, digits, _ or -`);
    if (byKid.has(kid)) throw new Error(`kid "${kid}" appears twice`);
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) throw new Error(`key "${kid}" is not base64`);
    const key = Buffer.from(encoded, encoded.includes('-') || encoded.includes('_') ? 'base64url' : 'base64');
    if (key.length !== 32) throw new Error(`key "${kid}" must decode to 32 bytes (AES-256)`);
    byKid.set(kid, key);
    ordered.push({ kid, key });
  });
  return { current: ordered[0], byKid };
}

export function generateKeyringSpec(kid = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`): string {
  return `${kid}:${randomBytes(32).toString('base64')}`;
}
