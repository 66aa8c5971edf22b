import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ConnectionActivity } from '../../src/activity/connection-activity';
import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TestApp } from '../support/app';
import { consoleSignIn } from '../support/console';
import { createTestDatabase, rawClient } from '../support/database';
import { sendTestEvent } from '../support/provider-events-sandbox';
import { addFault, clearSandbox, connectThroughSandbox } from '../support/sandbox-flow';

const HOUR_MS = 3_600_000;
const hourOf = (ms: number) => new Date(ms - (ms % HOUR_MS)).toISOString();

/**
 * A connection's activity beyond the lifecycle (activity.e2e): proxy calls summarised per hour by
 * status class, subscriptions, inbound events, uninstall and whoami checks, keyset pages, the 404 rule
 * and the purge in batches. Two replicas on one database; B keeps entries 7 days instead of 30.
 */
describe('connection activity: proxy summaries, provider events, pages, purge', () => {
  let a: TestApp;
  let b: TestApp;
  let db: Client;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    a = await startTestApp({ databaseUrl, port: await freePort() });
    b = await startTestApp({ databaseUrl, port: await freePort(), env: { ACTIVITY_RETENTION_DAYS: '7' } });
    db = await rawClient(databaseUrl);
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    await a?.close();
    await b?.close();
  });

  const activity = (t: TestApp) => t.app.get(ConnectionActivity);
  const entries = async (t: TestApp, id: string, query: Record<string, string | number> = {}) =>
    (
      await t.api
        .get(`/connections/${id}/activity`)
        .query({ limit: 100, ...query })
        .expect(200)
    ).body;
  const proxyRows = async (id: string) =>
    (
      await db.query(
        `SELECT created_at, status_class, calls FROM connection_activity
          WHERE connection_id = $1 AND type = 'proxy_calls' ORDER BY created_at, status_class`,
        [id],
      )
    ).rows.map((r) => ({ hour: r.created_at.toISOString(), statusClass: r.status_class, calls: r.calls }));

  it('proxy calls: counted per hour and status class by each replica, added into one row per (connection, hour, class) by each flush', async () => {
    // The replicas' 5-second flush timers off: this test flushes when it means to (nothing of this
    // connection is pending before its first call, so a flush already running writes none of it).
    for (const t of [a, b]) t.app.get(SchedulerRegistry).deleteInterval('activity-proxy-calls');
    await clearSandbox(a, 'keap');
    const id = await connectThroughSandbox(a, 'keap', 'activity-proxy');
    const hour = hourOf(Date.now());
    // On A: three 200s, a 302 (the provider bouncing to its login page), a 429 and a 500 (no retries).
    for (let i = 0; i < 3; i++) await a.api.get(`/proxy/${id}/contacts`).expect(200);
    await addFault(a, 'keap', { endpoint: 'api', kind: 'redirect' });
    await a.api.get(`/proxy/${id}/contacts`).redirects(0).expect(302);
    await addFault(a, 'keap', { endpoint: 'api', kind: 'rate_limit' });
    await a.api.get(`/proxy/${id}/contacts`).expect(429);
    await addFault(a, 'keap', { endpoint: 'api', kind: 'status_500' });
    await a.api.get(`/proxy/${id}/contacts`).expect(500);
    // A call refused before the provider (a bad path) has no provider status: not counted.
    await a.api.get(`/proxy/${id}/%2e%2e/x`).expect(400);
    // Nothing is written per call: only the flush writes.
    expect(await proxyRows(id)).toEqual([]);
    // The hour boundary hides inside the test if it runs at hh:59:59: take the hour the calls were in.
    const counted = hourOf(Date.now()) === hour ? hour : null;
    await activity(a).flushProxyCalls();
    const first = await proxyRows(id);
    if (counted)
      expect(first).toEqual([
        { hour, statusClass: 2, calls: 3 },
        { hour, statusClass: 3, calls: 1 },
        { hour, statusClass: 4, calls: 1 },
        { hour, statusClass: 5, calls: 1 },
      ]);
    expect(first.reduce((n, r) => n + r.calls, 0)).toBe(6);

    // On B, two more 200s; and calls counted into an earlier hour (as across an hour's end).
    for (let i = 0; i < 2; i++) await b.api.get(`/proxy/${id}/contacts`).expect(200);
    const earlier = Date.parse(hour) - HOUR_MS + 10 * 60_000;
    activity(b).countProxyCall(id, 204, earlier);
    activity(b).countProxyCall(id, 404, earlier);
    activity(b).countProxyCall(id, 404, earlier);
    // Not a provider's answer: not counted.
    for (const status of [0, 101, 199, 600, 999]) activity(b).countProxyCall(id, status, earlier);
    await activity(b).flushProxyCalls();
    // A flush with nothing pending writes nothing.
    await activity(b).flushProxyCalls();
    const rows = await proxyRows(id);
    const previous = hourOf(earlier);
    expect(rows.filter((r) => r.hour === previous)).toEqual([
      { hour: previous, statusClass: 2, calls: 1 },
      { hour: previous, statusClass: 4, calls: 2 },
    ]);
    expect(rows.reduce((n, r) => n + r.calls, 0)).toBe(11);
    if (counted) expect(rows.find((r) => r.hour === hour && r.statusClass === 2)?.calls).toBe(5);

    // The API: one entry per (hour, class), newest hour first, at the hour's start.
    const listed = (await entries(b, id)).data.filter((e: { type: string }) => e.type === 'proxy_calls');
    expect(listed).toHaveLength(rows.length);
    const entry = { type: 'proxy_calls', at: previous, status: null, previousStatus: null, code: null };
    expect(listed.slice(-2)).toEqual(
      expect.arrayContaining([
        { ...entry, subscriptionId: null, events: null, statusClass: '2xx', calls: 1 },
        { ...entry, subscriptionId: null, events: null, statusClass: '4xx', calls: 2 },
      ]),
    );
    expect(listed.map((e: { at: string }) => e.at)).toEqual(
      [...listed.map((e: { at: string }) => e.at)].sort().reverse(),
    );

    // The console's timeline: one line per hour, the classes in order.
    const session = await consoleSignIn(b);
    const page = await b.anon.get(`/admin/connections/${id}`).set('Cookie', session.cookie).expect(200);
    const lines = [...page.text.matchAll(/<li data-activity-type="proxy_calls">([\s\S]*?)<\/li>/g)].map((m) => m[1]);
    expect(lines).toHaveLength(new Set(rows.map((r) => r.hour)).size);
    expect(lines.at(-1)).toContain('<span class="calls">2xx 1 · 4xx 2</span>');
    if (counted) expect(lines[0]).toContain('<span class="calls">2xx 5 · 3xx 1 · 4xx 1 · 5xx 1</span>');
  });

  it('a replica that shuts down cleanly writes the counts it had not flushed yet', async () => {
    const id = randomUUID();
    const c = await startTestApp({ databaseUrl: a.databaseUrl });
    // Only the shutdown may write them: its timer off.
    c.app.get(SchedulerRegistry).deleteInterval('activity-proxy-calls');
    const at = Date.now();
    activity(c).countProxyCall(id, 200, at);
    activity(c).countProxyCall(id, 503, at);
    expect(await proxyRows(id)).toEqual([]);
    await c.close();
    expect(await proxyRows(id)).toEqual([
      { hour: hourOf(at), statusClass: 2, calls: 1 },
      { hour: hourOf(at), statusClass: 5, calls: 1 },
    ]);
  });

  it('subscriptions, inbound events (their type), the uninstall, whoami checks: each an entry', async () => {
    const id = await connectThroughSandbox(a, 'clickfunnels', 'activity-events', 'activity-events');
    const { accountId } = (await a.api.get(`/connections/${id}`).expect(200)).body;
    await clearSandbox(a, 'clickfunnels');
    await a.api.post(`/connections/${id}/verify`).expect(200);
    await addFault(a, 'clickfunnels', { endpoint: 'whoami', kind: 'status_503' });
    await a.api.post(`/connections/${id}/verify`).expect(502);
    const events = ['contact.created', 'platform_application.disconnected'];
    const subscription = (await a.api.post(`/connections/${id}/subscriptions`).send({ events }).expect(201)).body;
    // What the subscription keeps that no entry may: its URL token's hash, the provider's signing secret.
    const [kept] = (
      await db.query('SELECT token_hash, secret, remote_ids FROM event_subscriptions WHERE id = $1', [subscription.id])
    ).rows;
    const secrets = [kept.token_hash, kept.secret, ...kept.remote_ids].filter(Boolean);
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    await sendTestEvent(a, 'clickfunnels', { accountId, type: 'contact.created' });
    const uninstall = await sendTestEvent(a, 'clickfunnels', { accountId, uninstall: true });
    expect((await a.api.get(`/connections/${id}`).expect(200)).body.status).toBe('revoked');
    await a.api.delete(`/connections/${id}/subscriptions/${subscription.id}`).expect(200);

    const listed = (await entries(b, id)).data.map((e: Record<string, unknown>) => {
      const shown: Record<string, unknown> = { type: e.type };
      for (const k of ['status', 'previousStatus', 'code', 'subscriptionId', 'events'])
        if (e[k] !== null) shown[k] = e[k];
      return shown;
    });
    expect(listed).toEqual([
      { type: 'subscription_removed', subscriptionId: subscription.id, events },
      { type: 'revoked', status: 'revoked', previousStatus: 'active', code: 'uninstalled' },
      { type: 'inbound_event', events: [uninstall.event] },
      { type: 'inbound_event', events: ['contact.created'] },
      { type: 'subscription_created', subscriptionId: subscription.id, events },
      { type: 'verify_failed', code: 'unavailable' },
      { type: 'verified' },
      { type: 'connected', status: 'active' },
    ]);
    const { rows } = await db.query(
      'SELECT row_to_json(a)::text AS json FROM connection_activity a WHERE connection_id = $1',
      [id],
    );
    for (const row of rows) for (const secret of secrets) expect(row.json).not.toContain(secret);
  });

  it('keyset pages: newest first, (at, insertion order) as the order, no entry twice or left out; 400 for a bad cursor or limit; 404 only for an id nothing is known of', async () => {
    // A connection that is gone (no row), with 45 entries kept, some in the same millisecond.
    const id = randomUUID();
    const base = Date.now() - 60_000;
    for (let i = 0; i < 45; i++)
      await db.query(
        `INSERT INTO connection_activity (connection_id, created_at, type, code) VALUES ($1, $2, $3, $4)`,
        [id, new Date(base + Math.floor(i / 3) * 1000), 'refresh_failed', `code_${i}`],
      );
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { code: string }[]; nextCursor: string | null } = await entries(a, id, {
        limit: 20,
        ...(cursor ? { cursor } : {}),
      });
      pages.push(page.data.map((e) => e.code));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
    // Newest first; within one millisecond, the later insert first.
    expect(pages.flat()).toEqual(Array.from({ length: 45 }, (_, i) => `code_${44 - i}`));
    // A full last page says so: no cursor to an empty page.
    const exact = await entries(a, id, { limit: 45 });
    expect(exact.data).toHaveLength(45);
    expect(exact.nextCursor).toBeNull();

    for (const bad of ['not-a-cursor!', Buffer.from('["2026-01-01T00:00:00.000Z","x"]').toString('base64url')]) {
      const res = await a.api.get(`/connections/${id}/activity`).query({ cursor: bad }).expect(400);
      expect(res.body.code).toBe('invalid_cursor');
    }
    for (const limit of [0, 101, 'x']) {
      const res = await a.api.get(`/connections/${id}/activity`).query({ limit }).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    await a.api.get('/connections/not-a-uuid/activity').expect(400);
    const unknown = await a.api.get(`/connections/${randomUUID()}/activity`).expect(404);
    expect(unknown.body.code).toBe('connection_not_found');
    // A connection whose entries all aged out: an empty page, not a 404.
    const imported = (
      await a.api
        .post('/connections')
        .send({ provider: 'keap', ownerId: 'activity-empty', accessToken: 'at-x', refreshToken: 'rt-x' })
        .expect(201)
    ).body.id;
    expect((await entries(a, imported)).data.map((e: { type: string }) => e.type)).toEqual(['connected']);
    await db.query('DELETE FROM connection_activity WHERE connection_id = $1', [imported]);
    expect(await entries(a, imported)).toEqual({ data: [], nextCursor: null });
    // Needs connections:read: no key, 401.
    await a.anon.get(`/connections/${id}/activity`).expect(401);
  });

  it('the hourly purge deletes entries older than ACTIVITY_RETENTION_DAYS, in batches, and keeps the rest', async () => {
    const id = randomUUID();
    const now = Date.now();
    const day = 86_400_000;
    const insert = (ageMs: number, count: number) =>
      db.query(
        `INSERT INTO connection_activity (connection_id, created_at, type)
         SELECT $1, $2, 'refreshed' FROM generate_series(1, $3)`,
        [id, new Date(now - ageMs), count],
      );
    await insert(31 * day, 25);
    await insert(30 * day - 60_000, 2);
    await insert(8 * day, 4);
    await insert(60_000, 3);
    const left = async () =>
      (await db.query('SELECT count(*)::int AS n FROM connection_activity WHERE connection_id = $1', [id])).rows[0].n;

    const statements: string[] = [];
    const spy = jest.spyOn(a.dataSource, 'query').mockImplementation(function (this: unknown, ...args) {
      if (/^DELETE FROM connection_activity/.test(String(args[0]))) statements.push(String(args[0]));
      return (jest.requireActual('typeorm').DataSource.prototype.query as (...a: unknown[]) => unknown).apply(
        a.dataSource,
        args,
      ) as never;
    });
    let purged: number;
    try {
      // A (30 days), 10 rows per statement: 25 old rows in three statements.
      purged = await activity(a).purge(new Date(now), 10);
    } finally {
      spy.mockRestore();
    }
    expect(purged).toBe(25);
    expect(statements).toHaveLength(3);
    expect(await left()).toBe(9);
    // B keeps 7 days (ACTIVITY_RETENTION_DAYS=7): the 30- and 8-day-old ones go too.
    expect(await activity(b).purge(new Date(now))).toBe(6);
    expect(await left()).toBe(3);
    expect(await activity(b).purge(new Date(now))).toBe(0);
  });
});
