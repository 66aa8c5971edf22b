import { hmac, parseEpoch, signatureMatches, SignatureEncoding, withinTolerance } from '../../crypto/hmac';
import { InboundDelivery, ProofResult } from './provider-events';

/**
 * What the providers' `ProviderEvents` share (providers/<name>/<name>.events.ts): reading one header,
 * reading a field of a payload, and the HMAC proof most of them are, so each states only its scheme.
 */

/**
 * A header's value when it came exactly once and is not empty. A repeated header (an array) is
 * refused rather than guessed from: a signature or timestamp must be unambiguous.
 */
export function deliveryHeader(delivery: InboundDelivery, name: string): string | undefined {
  const value = delivery.headers[name.toLowerCase()];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The string (or number, as text) at a path of a parsed JSON payload; undefined otherwise. */
export function payloadText(payload: unknown, ...path: string[]): string | undefined {
  let node = payload;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === 'string') return node === '' ? undefined : node;
  return typeof node === 'number' && Number.isFinite(node) ? String(node) : undefined;
}

export interface HmacProof {
  /** The secret the provider signs with; none configured or stored → the delivery cannot be proven. */
  key: string | undefined;
  /** The received signature header, as `deliveryHeader` read it. */
  signature: string | undefined;
  encoding: SignatureEncoding;
  /** The exact bytes the provider signs, in order (the timestamp as received, never re-formatted). */
  signed: (string | Buffer)[];
  /** A signed timestamp and the provider's tolerance (both directions). */
  timestamp?: {
    value: string | undefined;
    unit: 'seconds' | 'milliseconds';
    toleranceSeconds: number;
    now: Date;
  };
}

/**
 * The HMAC proof: the signature must match the HMAC-SHA256 of the signed bytes (constant time); then
 * the timestamp, which the signature covers, must be within tolerance. A missing or malformed part is
 * `invalid_signature`; only a genuine signature over a stale (or far-future) timestamp is `event_too_old`.
 */
export function proveHmac(proof: HmacProof): ProofResult {
  const invalid: ProofResult = { ok: false, reason: 'invalid_signature' };
  if (!proof.key || !proof.signature) return invalid;
  let timestampMs: number | undefined;
  if (proof.timestamp) {
    timestampMs = parseEpoch(proof.timestamp.value, proof.timestamp.unit);
    if (timestampMs === undefined) return invalid;
  }
  if (!signatureMatches(proof.signature, hmac('sha256', proof.key, ...proof.signed), proof.encoding)) return invalid;
  if (proof.timestamp && !withinTolerance(timestampMs!, proof.timestamp.now, proof.timestamp.toleranceSeconds))
    return { ok: false, reason: 'event_too_old' };
  return { ok: true };
}
