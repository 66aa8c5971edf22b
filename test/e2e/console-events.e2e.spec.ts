import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { TokenCipher } from '../../src/crypto/token-cipher';
import { subscriptionSecretContext } from '../../src/provider-events/subscription-context';
import { WebhookDeliveriesRepository } from '../../src/webhooks/webhook-deliveries.repository';
import { startTestApp, TestApp } from '../support/app';
import { consoleSignIn, ConsoleSession } from '../support/console';
import { rawRequest } from '../support/raw-http';

/** ClickFunnels 2.0's signature (docs/events.md): hex HMAC-SHA256 of "{seconds}.{body}" with the endpoint secret. */
const signed = (body: string, secret: string) => {
  const at = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'x-webhook-clickfunnels-timestamp': String(at),
    'x-webhook-clickfunnels-signature': createHmac('sha256', secret).update(`${at}.${body}`).digest('hex'),
  };
};

/** A subscription as the table holds it, with what must never be shown: its URL token, its secret and the secret's envelope. */
interface Sub {
  id: string;
  token: string;
  tokenHash: string;
  secret: string;
  envelope: string;
}

/** The rows of the page's events table: event type and what the delivery column says. */
function eventRows(html: string): { type: string; delivery: string }[] {
  const table = /<table id="inbound-events">([\s\S]*?)<\/table>/.exec(html)?.[1];
  if (!table) return [];
  return [
    ...table.matchAll(
      /<tr>\s*<td class="event-names"><code>([^<]*)<\/code><\/td>[\s\S]*?<td><span[^>]*>([^<]*)<\/span><\/td>/g,
    ),
  ].map((m) => ({ type: m[1], delivery: m[2] }));
}

/** The rows of the page's subscriptions table: id, event names, status, created (the <time> datetime). */
function subscriptionRows(html: string): { id: string; events: string[]; status: string; created: string }[] {
  const table = /<table id="subscriptions">([\s\S]*?)<\/table>/.exec(html)?.[1];
  if (!table) return [];
  return [...table.matchAll(/<tr data-subscription-id="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => {
    const cells = [...m[2].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]);
    return {
      id: m[1],
      events: [...cells[1].matchAll(/<code>([^<]*)<\/code>/g)].map((c) => c[1]),
      status: /<span class="status st-([a-z_]+)">\1<\/span>/.exec(cells[2])?.[1] ?? cells[2],
      created: /datetime="([^"]+)"/.exec(cells[3])?.[1] ?? '',
    };
  });
}

/**
 * The console's connection page shows the connection's provider-event subscriptions and its newest
 * inbound events with the state of the delivery each became (docs/console.md), and never a payload, a
 * subscription's URL token or its secret. Events arrive signed through the real route.
 */
describe('console (/admin/connections/{id}): event subscriptions and latest events', () => {
  let t: TestApp;
  let session: ConsoleSession;
  /** In every payload sent: no page may show it. */
  const MARKER = `payload-marker-${randomBytes(8).toString('hex')}`;
  const WEBHOOK_ENV = {
    SANDBOX: 'false',
    CLICKFUNNELS_CLIENT_ID: 'cf',
    CLICKFUNNELS_CLIENT_SECRET: 'cf-secret',
    ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0',
  };

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        ...WEBHOOK_ENV,
        WEBHOOK_URL: 'https://receiver.example/hooks',
        WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
        // Deliveries stay in the outbox; the test sets their outcome.
        WEBHOOK_DISPATCH_INTERVAL_MS: '0',
      },
    });
    session = await consoleSignIn(t);
  }, 60_000);
  afterAll(() => t?.close());

  async function connection(accountId: string): Promise<string> {
    const res = await t.api
      .post('/connections')
      .send({ provider: 'clickfunnels', ownerId: `owner-${accountId}`, accountId, accessToken: `at-${accountId}` })
      .expect(201);
    return res.body.id as string;
  }

  /** A subscription row as the subscriptions API leaves it (registering at ClickFunnels is not this test's part). */
  async function subscription(connectionId: string, events: string[], status = 'active'): Promise<Sub> {
    const id = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const tokenHash = createHash('sha256').update(token).digest('hex');
    const secret = `endpoint-secret-${randomBytes(12).toString('hex')}`;
    const envelope = t.app.get(TokenCipher).encrypt(secret, subscriptionSecretContext(id));
    await t.dataSource.query(
      `INSERT INTO event_subscriptions (id, connection_id, provider, events, status, token_hash, secret)
       VALUES ($1, $2, 'clickfunnels', $3, $4, $5, $6)`,
      [id, connectionId, events, status, tokenHash, envelope],
    );
    return { id, token, tokenHash, secret, envelope };
  }

  /** A signed event to the subscription's URL, through `app` (another app may share the database); its delivery id. */
  async function send(sub: Sub, type: string, app: TestApp = t): Promise<string | null> {
    const eventId = `evt-${randomUUID()}`;
    const body = JSON.stringify({ event_type: type, event_id: eventId, data: { note: MARKER } });
    const res = await rawRequest(
      app.baseUrl,
      'POST',
      `/events/clickfunnels/${sub.token}`,
      signed(body, sub.secret),
      body,
    );
    expect(res.status).toBe(200);
    const [row] = await t.dataSource.query(`SELECT delivery_id FROM inbound_events WHERE event_id = $1`, [eventId]);
    return row.delivery_id as string | null;
  }

  const page = async (id: string) => {
    const res = await t.anon.get(`/admin/connections/${id}`).set('Cookie', session.cookie).expect(200);
    return res.text;
  };

  it('lists the subscriptions and the events with their delivery state; never a payload, URL token or secret', async () => {
    const id = await connection('cf-ws-console-1');
    const active = await subscription(id, ['contact.created', 'order.completed']);
    const pending = await subscription(id, ['contact.updated'], 'pending_verification');

    const delivered = await send(active, 'contact.created');
    const failed = await send(active, 'order.completed');
    const waiting = await send(active, 'contact.created');
    const deliveries = t.app.get(WebhookDeliveriesRepository);
    await deliveries.markDelivered(delivered!, 1, 200);
    await deliveries.markAttemptFailed(failed!, {
      attempts: 8,
      givenUp: true,
      lastStatus: 500,
      lastError: 'receiver answered 500',
      nextAttemptAt: new Date(),
    });
    expect(waiting).not.toBeNull();

    // An app without WEBHOOK_URL (same database) stores the event and forwards nothing.
    const quiet = await startTestApp({ databaseUrl: t.databaseUrl, env: WEBHOOK_ENV });
    try {
      expect(await send(active, 'order.completed', quiet)).toBeNull();
    } finally {
      await quiet.close();
    }

    const html = await page(id);
    const api = (await t.api.get(`/connections/${id}/subscriptions`).expect(200)).body.data;
    expect(subscriptionRows(html)).toEqual([
      { id: active.id, events: ['contact.created', 'order.completed'], status: 'active', created: api[0].createdAt },
      { id: pending.id, events: ['contact.updated'], status: 'pending_verification', created: api[1].createdAt },
    ]);
    // Newest first.
    expect(eventRows(html)).toEqual([
      { type: 'order.completed', delivery: 'not forwarded' },
      { type: 'contact.created', delivery: 'pending' },
      { type: 'order.completed', delivery: 'failed' },
      { type: 'contact.created', delivery: 'delivered' },
    ]);
    expect(html).toContain('id="not-forwarded-note"');
    expect(html).toContain('href="/admin/webhooks?status=failed"');
    expect(html).not.toContain('id="no-subscriptions"');
    expect(html).not.toContain('id="no-events"');

    for (const [what, value] of [
      ['the payload', MARKER],
      ['a URL token', active.token],
      ['a URL token', pending.token],
      ['a token hash', active.tokenHash],
      ['a secret', active.secret],
      ['a secret envelope', active.envelope],
      ['a secret envelope', active.envelope.slice(-24)],
    ])
      if (html.includes(value)) throw new Error(`the page shows ${what}`);
  });

  it('shows only this connection’s subscriptions and events', async () => {
    const mine = await connection('cf-ws-console-mine');
    const other = await connection('cf-ws-console-other');
    const mySub = await subscription(mine, ['contact.created']);
    const otherSub = await subscription(other, ['order.created']);
    await send(mySub, 'contact.created');
    await send(otherSub, 'order.created');

    const html = await page(mine);
    expect(subscriptionRows(html).map((s) => s.id)).toEqual([mySub.id]);
    expect(eventRows(html).map((e) => e.type)).toEqual(['contact.created']);
    expect(html).not.toContain(otherSub.id);
    expect(html).not.toContain('order.created');

    const theirs = await page(other);
    expect(subscriptionRows(theirs).map((s) => s.id)).toEqual([otherSub.id]);
    expect(eventRows(theirs).map((e) => e.type)).toEqual(['order.created']);
  });

  it('shows the 20 newest events only, newest first', async () => {
    const id = await connection('cf-ws-console-busy');
    const base = Date.now() - 3_600_000;
    // 25 events a minute apart, written as the inbound route writes them (the route is covered above).
    for (let i = 0; i < 25; i++)
      await t.dataSource.query(
        `INSERT INTO inbound_events (id, provider, dedupe_key, connection_id, event_type, received_at)
         VALUES ($1, 'clickfunnels', $2, $3, $4, $5)`,
        [
          randomUUID(),
          `busy:${randomUUID()}`,
          id,
          `contact.event_${String(i).padStart(2, '0')}`,
          new Date(base + i * 60_000),
        ],
      );
    const rows = eventRows(await page(id));
    expect(rows.map((r) => r.type)).toEqual(
      Array.from({ length: 20 }, (_, k) => `contact.event_${String(24 - k).padStart(2, '0')}`),
    );
    expect(new Set(rows.map((r) => r.delivery))).toEqual(new Set(['not forwarded']));
  });

  it('says so when there are no subscriptions and no events', async () => {
    const id = await connection('cf-ws-console-empty');
    const html = await page(id);
    expect(/<p id="no-subscriptions">([\s\S]*?)<\/p>/.exec(html)?.[1]).toBe(
      `No subscriptions. <code class="wrap">POST /connections/${id}/subscriptions</code> registers one (docs/events.md).`,
    );
    expect(/<p id="no-events">([^<]*)<\/p>/.exec(html)?.[1]).toBe('No events in the last 48 hours.');
    expect(html).not.toContain('<table id="subscriptions">');
    expect(html).not.toContain('<table id="inbound-events">');
  });

  it('a delivery purged since (WEBHOOK_RETENTION_DAYS) is shown as no longer kept', async () => {
    const id = await connection('cf-ws-console-purged');
    const sub = await subscription(id, ['contact.created']);
    const deliveryId = await send(sub, 'contact.created');
    await t.dataSource.query(`DELETE FROM webhook_deliveries WHERE id = $1`, [deliveryId]);
    const html = await page(id);
    expect(eventRows(html)).toEqual([{ type: 'contact.created', delivery: 'no longer kept' }]);
    expect(html).toContain('id="purged-note"');
  });
});
