import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The HMAC pieces every webhook signature scheme here is built from: the outbound Standard Webhooks
 * signer and each provider's inbound proof (providers/<name>/<name>.events.ts). Tested once
 * (test/unit/hmac.spec.ts), so a scheme only states what it signs, with which key, in which encoding.
 */

export type HmacAlgorithm = 'sha256';
export type SignatureEncoding = 'hex' | 'base64';

/** HMAC of the parts, concatenated as they are (strings as UTF-8): the bytes a provider signed. */
export function hmac(algorithm: HmacAlgorithm, key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

const FORMAT: Record<SignatureEncoding, RegExp> = {
  hex: /^(?:[0-9a-fA-F]{2})+$/,
  // Canonical base64 with its padding, as Node's digest('base64') writes it.
  base64: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
};

/**
 * Whether a received signature (a header value as it came) is `expected`, compared in constant time.
 * Anything that is not one well-formed string of the encoding (missing, empty, repeated header, wrong
 * alphabet, wrong length) is simply false: this never throws on what a sender puts in a header.
 */
export function signatureMatches(received: unknown, expected: Buffer, encoding: SignatureEncoding): boolean {
  if (typeof received !== 'string' || received.length === 0 || !FORMAT[encoding].test(received)) return false;
  const given = Buffer.from(received, encoding);
  // timingSafeEqual throws on unequal lengths; the length of a MAC is no secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A header's epoch timestamp (`seconds` or `milliseconds`) as epoch milliseconds; undefined unless it
 * is plain decimal digits (no sign, no fraction, no exponent, at most 16 digits).
 */
export function parseEpoch(value: unknown, unit: 'seconds' | 'milliseconds'): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return undefined;
  const n = Number(value);
  return unit === 'seconds' ? n * 1000 : n;
}

/**
 * Whether a signed timestamp is within `toleranceSeconds` of now, in both directions: a delivery
 * signed too long ago is a replay; one dated far ahead would stay replayable for longer than allowed.
 */
export function withinTolerance(timestampMs: number, now: Date, toleranceSeconds: number): boolean {
  return Math.abs(now.getTime() - timestampMs) <= toleranceSeconds * 1000;
}
