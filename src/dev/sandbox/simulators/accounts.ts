import { createHash } from 'node:crypto';

/**
 * Helpers the simulators derive their simulated accounts and API objects with. Everything is a
 * function of a seed, so the same consent-page account name always lands on the same provider-side
 * ids, in every replica and after a restart.
 */

export const DEFAULT_ACCOUNT_SEED = 'demo';

/** A date for objects the simulators invent (sites, teams, funnels): fixed, so answers are stable. */
export const FIXED_DATE = '2024-01-01T00:00:00.000Z';

/** The consent form's free-text account name, reduced to something safe to store and show. */
export function normalizeSeed(raw: string | undefined): string {
  const seed = (raw ?? '')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9._@/-]+/g, '-')
    .slice(0, 64);
  return seed.replace(/^[-/]+|[-/]+$/g, '') || DEFAULT_ACCOUNT_SEED;
}

function hashOf(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000'), 'utf8').digest();
}

/** A number in [min, min + span) derived from the hash: the same parts always give the same number. */
export const numberOf = (parts: string[], min: number, span: number) => min + (hashOf(...parts).readUInt32BE(0) % span);

export const hexOf = (parts: string[], length: number) =>
  hashOf(...parts)
    .toString('hex')
    .slice(0, length);

/** Hex id of a plain seed string (not NUL-joined parts: the ids the whoami answers have always had). */
export const shortId = (seed: string, length = 24) => createHash('sha256').update(seed).digest('hex').slice(0, length);

/** `acme-corp` → `Acme Corp`, `shop/one` → `Shop One`. */
export const title = (s: string) =>
  s.replace(/(^|[-._/ ])([a-z])/g, (_m, sep: string, c: string) => `${sep === '' ? '' : ' '}${c.toUpperCase()}`).trim();

/** The part of a seed used as the e-mail's local part (`alice@corp` → `alice`). */
export function emailOf(seed: string): string {
  const local = seed.replace(/@.*$/, '').replace(/[^a-z0-9._-]+/g, '.') || DEFAULT_ACCOUNT_SEED;
  return `${local}@sandbox.example`;
}

export function personName(email: string): { first: string; last: string } {
  return { first: title(email.replace(/@.*$/, '')) || 'Demo', last: 'Sandbox' };
}
