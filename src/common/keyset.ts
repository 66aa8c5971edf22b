import { InvalidCursor } from './errors';

/** Where a newest-first page ended: lists order by (created_at DESC, id DESC). */
export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque to clients: base64url of [createdAt ISO, id]. Anything else is refused as invalid_cursor. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id]), 'utf8').toString('base64url');
}

/** A list's row id as a cursor may carry it: a UUID, unless the list says otherwise. */
const isUuid = (id: string) => UUID.test(id);

export function decodeCursor(cursor: string, isId: (id: string) => boolean = isUuid): KeysetPosition {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw new InvalidCursor();
  const [iso, id] = parsed as unknown[];
  if (typeof iso !== 'string' || typeof id !== 'string' || !isId(id)) throw new InvalidCursor();
  const createdAt = new Date(iso);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== iso) throw new InvalidCursor();
  return { createdAt, id };
}

/**
 * A page from `limit + 1` rows read newest first: the first `limit`, and the cursor of the last one when
 * there are more.
 */
export function keysetPage<R extends KeysetPosition, T>(
  rows: R[],
  limit: number,
  toDto: (row: R) => T,
): { data: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map(toDto), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** The keyset condition `(created_at, id) < (after)` on a query builder's alias. */
export function afterPosition<Q extends { andWhere(where: string, params: object): Q }>(
  query: Q,
  alias: string,
  after: KeysetPosition | undefined,
): Q {
  return after
    ? query.andWhere(`(${alias}.created_at, ${alias}.id) < (:afterCreatedAt, :afterId)`, {
        afterCreatedAt: after.createdAt,
        afterId: after.id,
      })
    : query;
}
