import { InvalidCursor } from '../common/errors';
import type { ActivityPosition } from './connection-activity';

/** An entry's id: the table's bigint identity, as Postgres answers it (a string of digits). */
const ID = /^[1-9][0-9]{0,18}$/;

/** Opaque to clients: base64url of [createdAt ISO, id], as the other lists' cursors (common/keyset.ts). */
export function encodeActivityCursor(position: ActivityPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id]), 'utf8').toString('base64url');
}

/** Anything the service did not issue is 400 invalid_cursor. */
export function decodeActivityCursor(cursor: string): ActivityPosition {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw new InvalidCursor();
  const [iso, id] = parsed as unknown[];
  if (typeof iso !== 'string' || typeof id !== 'string' || !ID.test(id) || BigInt(id) > 9223372036854775807n)
    throw new InvalidCursor();
  const createdAt = new Date(iso);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== iso) throw new InvalidCursor();
  return { createdAt, id };
}
