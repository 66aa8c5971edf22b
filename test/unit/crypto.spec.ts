import { generateKeyringSpec, parseKeyring } from '../../src/crypto/keyring';
import { DecryptionError, TokenCipher } from '../../src/crypto/token-cipher';

const ctx = (id: string, field = 'access_token') => ({ table: 'connections', id, field });

describe('TokenCipher (AES-256-GCM with a keyring)', () => {
  const keyA = generateKeyringSpec('a');
  const keyB = generateKeyringSpec('b');
  const cipherA = new TokenCipher(parseKeyring(keyA));

  it('round-trips, with a fresh IV each time', () => {
    const one = cipherA.encrypt('token-ünï-🚀', ctx('r1'));
    const two = cipherA.encrypt('token-ünï-🚀', ctx('r1'));
    expect(one).not.toBe(two);
    expect(one.startsWith('v1.a.')).toBe(true);
    expect(one).not.toContain('token');
    expect(cipherA.decrypt(one, ctx('r1'))).toBe('token-ünï-🚀');
    expect(cipherA.decrypt(two, ctx('r1'))).toBe('token-ünï-🚀');
  });

  it('refuses a ciphertext moved to another row or another field (AAD)', () => {
    const envelope = cipherA.encrypt('secret', ctx('r1', 'access_token'));
    expect(() => cipherA.decrypt(envelope, ctx('r2', 'access_token'))).toThrow(DecryptionError);
    expect(() => cipherA.decrypt(envelope, ctx('r1', 'refresh_token'))).toThrow(DecryptionError);
    expect(() => cipherA.decrypt(envelope, { table: 'oauth_states', id: 'r1', field: 'access_token' })).toThrow(
      DecryptionError,
    );
  });

  it.each([
    ['a flipped ciphertext byte', (parts: string[]) => [parts[0], parts[1], parts[2], flip(parts[3]), parts[4]]],
    ['a flipped tag byte', (parts: string[]) => [parts[0], parts[1], parts[2], parts[3], flip(parts[4])]],
    ['a flipped IV byte', (parts: string[]) => [parts[0], parts[1], flip(parts[2]), parts[3], parts[4]]],
    ['a truncated tag', (parts: string[]) => [parts[0], parts[1], parts[2], parts[3], parts[4].slice(0, 10)]],
    ['another version', (parts: string[]) => ['v2', ...parts.slice(1)]],
    ['a missing part', (parts: string[]) => parts.slice(0, 4)],
  ])('refuses %s', (_name, tamper) => {
    const envelope = cipherA.encrypt('secret', ctx('r1'));
    const bad = tamper(envelope.split('.')).join('.');
    expect(() => cipherA.decrypt(bad, ctx('r1'))).toThrow(DecryptionError);
  });

  it('refuses a kid relabelled to another known key', () => {
    const both = new TokenCipher(parseKeyring(`${keyA},${keyB}`));
    const parts = both.encrypt('secret', ctx('r1')).split('.');
    parts[1] = 'b';
    expect(() => both.decrypt(parts.join('.'), ctx('r1'))).toThrow(DecryptionError);
  });

  it('names an unknown kid without revealing any key or plaintext', () => {
    const envelope = cipherA.encrypt('plain-secret', ctx('r1'));
    const onlyB = new TokenCipher(parseKeyring(keyB));
    let message = '';
    try {
      onlyB.decrypt(envelope, ctx('r1'));
    } catch (error) {
      expect(error).toBeInstanceOf(DecryptionError);
      message = (error as Error).message;
    }
    expect(message).toContain('"a" is not in ENCRYPTION_KEYS');
    expect(message).not.toContain('plain-secret');
    expect(message).not.toContain(keyA.split(':')[1]);
  });

  it('writes with the first key and still reads the older ones', () => {
    const rotated = new TokenCipher(parseKeyring(`${keyB},${keyA}`));
    const old = cipherA.encrypt('secret', ctx('r1'));
    expect(rotated.decrypt(old, ctx('r1'))).toBe('secret');
    expect(TokenCipher.kidOf(rotated.encrypt('secret', ctx('r1')))).toBe('b');
    expect(TokenCipher.kidOf('garbage')).toBeUndefined();
  });

  it('re-encrypts under the current key only what is not under it yet, for the same context', () => {
    const rotated = new TokenCipher(parseKeyring(`${keyB},${keyA}`));
    expect(rotated.currentPrefix).toBe('v1.b.');
    const current = rotated.encrypt('secret', ctx('r1'));
    expect(rotated.reencrypt(current, ctx('r1'))).toBe(current);
    const moved = rotated.reencrypt(cipherA.encrypt('secret', ctx('r1')), ctx('r1'));
    expect(moved.startsWith(rotated.currentPrefix)).toBe(true);
    expect(new TokenCipher(parseKeyring(keyB)).decrypt(moved, ctx('r1'))).toBe('secret');
    // The context still binds: an envelope of another row does not move to this one.
    expect(() => rotated.reencrypt(cipherA.encrypt('secret', ctx('r2')), ctx('r1'))).toThrow(DecryptionError);
    // A key already removed: the envelope cannot be read, so it cannot be moved.
    expect(() => cipherA.reencrypt(new TokenCipher(parseKeyring(keyB)).encrypt('x', ctx('r1')), ctx('r1'))).toThrow(
      DecryptionError,
    );
  });
});

function flip(part: string): string {
  const bytes = Buffer.from(part, 'base64url');
  bytes[0] ^= 0x01;
  return bytes.toString('base64url');
}
