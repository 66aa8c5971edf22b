import { Client } from 'pg';
import { rawClient } from '../support/database';
import { startTestApp, TestApp } from '../support/app';

interface Row {
  id: string;
  provider: string;
  ownerId: string;
  status: string;
  createdAt: string;
}

describe('GET /connections: filters and keyset pagination', () => {
  let t: TestApp;
  let db: Client;
  const created: Row[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    db = await rawClient(t.databaseUrl);
    // 45 connections over 3 providers and 3 owners, some sharing one created_at to exercise the id tie-break.
    for (let i = 0; i < 45; i++) {
      const provider = ['keap', 'webflow', 'lightfunnels'][i % 3];
      const res = await t.api
        .post('/connections')
        .send({ provider, ownerId: `owner-${i % 5}`, accountId: `acct-${i}`, accessToken: `tok-${i}` })
        .expect(201);
      created.push(res.body);
    }
    await db.query(
      `UPDATE connections SET created_at = '2030-01-01T00:00:00.000Z' WHERE account_id IN ('acct-10','acct-11','acct-12','acct-13')`,
    );
    await db.query(`UPDATE connections SET status = 'needs_reauth' WHERE account_id IN ('acct-1','acct-4','acct-7')`);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  async function collect(query: Record<string, string | number>): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { body: { data: Row[]; nextCursor: string | null } } = await t.api
        .get('/connections')
        .query({ ...query, ...(cursor ? { cursor } : {}) })
        .expect(200);
      pages++;
      ids.push(...res.body.data.map((c: Row) => c.id));
      cursor = res.body.nextCursor;
      expect(pages).toBeLessThan(100);
    } while (cursor);
    return { ids, pages };
  }

  async function expectedIds(where: string): Promise<string[]> {
    const { rows } = await db.query(`SELECT id FROM connections ${where} ORDER BY created_at DESC, id DESC`);
    return rows.map((r: { id: string }) => r.id);
  }

  it('pages through everything exactly once, newest first, and nextCursor is null on the last page', async () => {
    const { ids, pages } = await collect({ limit: 7 });
    expect(ids).toEqual(await expectedIds(''));
    expect(ids).toHaveLength(45);
    expect(pages).toBe(7);
  });

  it('defaults to 20 per page', async () => {
    const res = await t.api.get('/connections').expect(200);
    expect(res.body.data).toHaveLength(20);
    expect(typeof res.body.nextCursor).toBe('string');
  });

  it('returns nextCursor null when the page is exactly the rest', async () => {
    const res = await t.api.get('/connections').query({ limit: 100 }).expect(200);
    expect(res.body.data).toHaveLength(45);
    expect(res.body.nextCursor).toBeNull();
  });

  it.each([
    [{ provider: 'keap' }, `WHERE provider = 'keap'`],
    [{ ownerId: 'owner-3' }, `WHERE owner_id = 'owner-3'`],
    [{ status: 'needs_reauth' }, `WHERE status = 'needs_reauth'`],
    [{ provider: 'webflow', ownerId: 'owner-1' }, `WHERE provider = 'webflow' AND owner_id = 'owner-1'`],
    [
      { provider: 'keap', status: 'active', ownerId: 'owner-0' },
      `WHERE provider = 'keap' AND status = 'active' AND owner_id = 'owner-0'`,
    ],
  ])('filters by %j across pages', async (filter, where) => {
    const expected = await expectedIds(where);
    expect(expected.length).toBeGreaterThan(0);
    const { ids } = await collect({ ...filter, limit: 2 });
    expect(ids).toEqual(expected);
  });

  it('returns an empty page for a filter that matches nothing', async () => {
    const res = await t.api.get('/connections').query({ provider: 'clickfunnels' }).expect(200);
    expect(res.body).toEqual({ data: [], nextCursor: null });
  });

  it('a row inserted during pagination does not shift the pages (keyset, not offset)', async () => {
    const first = await t.api.get('/connections').query({ limit: 10 }).expect(200);
    await t.api.post('/connections').send({ provider: 'keap', ownerId: 'late', accessToken: 'x' }).expect(201);
    const second = await t.api.get('/connections').query({ limit: 10, cursor: first.body.nextCursor }).expect(200);
    const all = await expectedIds(`WHERE owner_id <> 'late'`);
    expect(second.body.data.map((c: Row) => c.id)).toEqual(all.slice(10, 20));
  });

  it.each([['0'], ['101'], ['-1'], ['abc'], ['1.5']])('rejects limit=%s with 400 validation_failed', async (limit) => {
    const res = await t.api.get('/connections').query({ limit }).expect(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it.each([
    ['bad status', { status: 'happy' }],
    ['unknown parameter', { sort: 'id' }],
    ['provider with spaces', { provider: 'a b' }],
  ])('rejects %s with 400 validation_failed', async (_name, query) => {
    const res = await t.api.get('/connections').query(query).expect(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it('rejects tampered cursors with 400 invalid_cursor', async () => {
    const res = await t.api.get('/connections').query({ limit: 5 }).expect(200);
    const cursor: string = res.body.nextCursor;
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    const tampered = [
      cursor.slice(0, -3),
      `${cursor}!!`,
      Buffer.from('not json').toString('base64url'),
      Buffer.from(JSON.stringify({ t: decoded[0] })).toString('base64url'),
      Buffer.from(JSON.stringify([decoded[0], "x' OR 1=1 --"])).toString('base64url'),
      Buffer.from(JSON.stringify(['yesterday', decoded[1]])).toString('base64url'),
      Buffer.from(JSON.stringify([decoded[0], decoded[1], 'extra'])).toString('base64url'),
    ];
    for (const bad of tampered) {
      const r = await t.api.get('/connections').query({ cursor: bad }).expect(400);
      expect(r.body.code).toBe('invalid_cursor');
    }
  });

  it('never includes tokens in list responses', async () => {
    const res = await t.api.get('/connections').query({ limit: 100 }).expect(200);
    expect(JSON.stringify(res.body)).not.toMatch(/tok-\d+/);
  });
});
