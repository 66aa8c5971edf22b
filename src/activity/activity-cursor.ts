import { decodeCursor, encodeCursor } from '../common/keyset';
import type { ActivityPosition } from './connection-activity';

/** An entry's id: the table's bigint identity, as Postgres answers it (a string of digits). */
const ID = /^[1-9][0-9]{0,18}$/;
const isActivityId = (id: string) => ID.test(id) && BigInt(id) <= 9223372036854775807n;

/** Opaque to clients: the other lists' cursor (common/keyset.ts), with the entry's numeric id. */
export function encodeActivityCursor(position: ActivityPosition): string {
  return encodeCursor(position);
}

/** Anything the service did not issue is 400 invalid_cursor. */
export function decodeActivityCursor(cursor: string): ActivityPosition {
  return decodeCursor(cursor, isActivityId);
}
