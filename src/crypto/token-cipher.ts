import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Keyring } from './keyring';

const VERSION = 'v1';
const IV_BYTES = 12; // 96-bit nonce, the GCM recommendation (NIST SP 800-38D)
const TAG_BYTES = 16;

/** Raised for any ciphertext that cannot be opened. Carries no key material and no ciphertext. */
export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`Cannot decrypt stored secret: ${reason}`);
    this.name = 'DecryptionError';
  }
}

/**
 * Where a ciphertext belongs. Bound into the GCM additional data, so a ciphertext copied to another
 * row, field or table fails authentication instead of decrypting as somebody else's token.
 */
export interface CipherContext {
  table: string;
  id: string;
  field: string;
}

function aad(kid: string, ctx: CipherContext): Buffer {
  return Buffer.from(`${VERSION}|${kid}|${ctx.table}|${ctx.id}|${ctx.field}`, 'utf8');
}

/**
 * AES-256-GCM with a keyring. Envelope: `v1.<kid>.<iv>.<ciphertext>.<tag>` (base64url parts),
 * compact enough to sit in a text column and self-describing enough to rotate keys.
 */
export class TokenCipher {
  constructor(private readonly keyring: Keyring) {}

  get currentKid(): string {
    return this.keyring.current.kid;
  }

  /** How every envelope the current key writes begins (`v1.<kid>.`): rows without it are under another key. */
  get currentPrefix(): string {
    return `${VERSION}.${this.currentKid}.`;
  }

  /**
   * The envelope under the current key, for the same context: unchanged when it already is, else
   * decrypted and encrypted again (key rotation). Throws DecryptionError when its key is gone.
   */
  reencrypt(envelope: string, ctx: CipherContext): string {
    return envelope.startsWith(this.currentPrefix) ? envelope : this.encrypt(this.decrypt(envelope, ctx), ctx);
  }

  encrypt(plaintext: string, ctx: CipherContext): string {
    const { kid, key } = this.keyring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(kid, ctx));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      kid,
      iv.toString('base64url'),
      ct.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  decrypt(envelope: string, ctx: CipherContext): string {
    const parts = envelope.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new DecryptionError('unknown envelope format');
    const [, kid, ivPart, ctPart, tagPart] = parts;
    const key = this.keyring.byKid.get(kid);
    if (!key) throw new DecryptionError(`key "${kid}" is not in ENCRYPTION_KEYS`);
    const iv = Buffer.from(ivPart, 'base64url');
    const tag = Buffer.from(tagPart, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError('malformed envelope');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(kid, ctx));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ctPart, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('authentication failed (tampered, or stored for another row or field)');
    }
  }

  /** The kid an envelope was written with, or undefined for anything unparseable. */
  static kidOf(envelope: string): string | undefined {
    const parts = envelope.split('.');
    return parts.length === 5 && parts[0] === VERSION ? parts[1] : undefined;
  }
}
