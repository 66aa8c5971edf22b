import { InvalidCursor } from '../../src/common/errors';
import { afterPosition, decodeCursor, encodeCursor, keysetPage, KeysetPosition } from '../../src/common/keyset';

const position: KeysetPosition = {
  createdAt: new Date('2030-01-02T03:04:05.678Z'),
  id: '0f8fad5b-d9cb-469f-a165-70867728950e',
};
const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('cursor codec', () => {
  it('round-trips a position, to the millisecond', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it('is opaque base64url of [createdAt ISO, id]', () => {
    expect(JSON.parse(Buffer.from(encodeCursor(position), 'base64url').toString('utf8'))).toEqual([
      '2030-01-02T03:04:05.678Z',
      position.id,
    ]);
  });

  it('accepts an upper-case UUID', () => {
    const upper = { ...position, id: position.id.toUpperCase() };
    expect(decodeCursor(encodeCursor(upper))).toEqual(upper);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['padded base64', `${b64([position.createdAt.toISOString(), position.id])}=`],
    ['not JSON', b64('not json')],
    ['a JSON object', b64({ createdAt: position.createdAt.toISOString(), id: position.id })],
    ['a single item', b64([position.createdAt.toISOString()])],
    ['three items', b64([position.createdAt.toISOString(), position.id, 'x'])],
    ['swapped items', b64([position.id, position.createdAt.toISOString()])],
    ['a non-UUID id', b64([position.createdAt.toISOString(), 'not-a-uuid'])],
    ['a UUID with SQL after it', b64([position.createdAt.toISOString(), `${position.id}' OR 1=1`])],
    ['a numeric date', b64([position.createdAt.getTime(), position.id])],
    ['an invalid date', b64(['2030-13-45T00:00:00.000Z', position.id])],
    ['a date not in canonical ISO form', b64(['2030-01-02T03:04:05Z', position.id])],
    ['a date with an offset', b64(['2030-01-02T04:04:05.678+01:00', position.id])],
    ['a date-only string', b64(['2030-01-02', position.id])],
  ])('refuses %s as InvalidCursor (400 invalid_cursor)', (_name, cursor) => {
    let error: unknown;
    try {
      decodeCursor(cursor);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidCursor);
    expect(error).toMatchObject({ code: 'invalid_cursor', status: 400 });
  });
});

describe('keysetPage', () => {
  const rows = Array.from({ length: 4 }, (_, i) => ({
    createdAt: new Date(Date.UTC(2030, 0, 10 - i)),
    id: `0f8fad5b-d9cb-469f-a165-7086772895${String(i).padStart(2, '0')}`,
    name: `row-${i}`,
  }));

  it('returns the first `limit` rows and the cursor of the last one when there are more', () => {
    const page = keysetPage(rows, 3, (r) => r.name);
    expect(page.data).toEqual(['row-0', 'row-1', 'row-2']);
    expect(decodeCursor(page.nextCursor!)).toEqual({ createdAt: rows[2].createdAt, id: rows[2].id });
  });

  it('has no cursor on the last page', () => {
    expect(keysetPage(rows, 4, (r) => r.name)).toEqual({
      data: ['row-0', 'row-1', 'row-2', 'row-3'],
      nextCursor: null,
    });
    expect(keysetPage(rows.slice(0, 2), 3, (r) => r.name).nextCursor).toBeNull();
    expect(keysetPage([], 3, (r: (typeof rows)[number]) => r.name)).toEqual({ data: [], nextCursor: null });
  });
});

describe('afterPosition', () => {
  class Query {
    readonly wheres: Array<[string, object]> = [];
    andWhere(where: string, params: object): this {
      this.wheres.push([where, params]);
      return this;
    }
  }

  it('adds the row-value comparison on the alias, with parameters (never inlined values)', () => {
    const query = new Query();
    expect(afterPosition(query, 'c', position)).toBe(query);
    expect(query.wheres).toEqual([
      [
        '(c.created_at, c.id) < (:afterCreatedAt, :afterId)',
        { afterCreatedAt: position.createdAt, afterId: position.id },
      ],
    ]);
  });

  it('adds nothing on the first page', () => {
    const query = new Query();
    expect(afterPosition(query, 'c', undefined)).toBe(query);
    expect(query.wheres).toEqual([]);
  });
});
