import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { HttpClient } from '../../src/common/http-client';
import { clickfunnelsSpec } from '../../src/providers/clickfunnels/clickfunnels.config';
import { clickfunnelsEvents } from '../../src/providers/clickfunnels/clickfunnels.events';
import { ClickfunnelsProvider } from '../../src/providers/clickfunnels/clickfunnels.provider';
import { clickfunnelsClassicSpec } from '../../src/providers/clickfunnels-classic/clickfunnels-classic.config';
import { ClickfunnelsClassicProvider } from '../../src/providers/clickfunnels-classic/clickfunnels-classic.provider';
import { OAuthProvider } from '../../src/providers/core/provider';
import { InboundDelivery, ProviderEvents } from '../../src/providers/core/provider-events';
import { keapSpec } from '../../src/providers/keap/keap.config';
import { keapEvents } from '../../src/providers/keap/keap.events';
import { KeapProvider } from '../../src/providers/keap/keap.provider';
import { lightfunnelsSpec } from '../../src/providers/lightfunnels/lightfunnels.config';
import { lightfunnelsEvents } from '../../src/providers/lightfunnels/lightfunnels.events';
import { LightfunnelsProvider } from '../../src/providers/lightfunnels/lightfunnels.provider';
import { webflowSpec } from '../../src/providers/webflow/webflow.config';
import { webflowEvents } from '../../src/providers/webflow/webflow.events';
import { WebflowProvider } from '../../src/providers/webflow/webflow.provider';
import { settingsFromSpec } from './support/fake-http';

// Each provider's event proof (providers/<name>/<name>.events.ts) against signatures computed here
// with node:crypto directly, as the provider's docs describe them; never through src/crypto/hmac.ts.

const NOW = new Date('2026-03-01T12:00:00.000Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const SECRET = 'whsec-of-the-endpoint-839d0d645bedefbaf76e';
const OTHER = 'another-secret';
const INVALID = { ok: false, reason: 'invalid_signature' };
const TOO_OLD = { ok: false, reason: 'event_too_old' };

const hmacHex = (key: string, data: string | Buffer) => createHmac('sha256', key).update(data).digest('hex');
const hmacB64 = (key: string, data: string | Buffer) => createHmac('sha256', key).update(data).digest('base64');
const delivery = (
  headers: Record<string, string | string[] | undefined>,
  body: string | Buffer,
  receivedAt = NOW,
): InboundDelivery => ({ headers, body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), receivedAt });
/** The same text with one character changed (a signature stays well-formed). */
const flipLast = (s: string) => s.slice(0, -1) + (s.endsWith('a') ? 'b' : 'a');
const flipFirst = (s: string) => (s.startsWith('A') ? 'B' : 'A') + s.slice(1);
/** The same bytes with one byte changed. */
const flipByte = (bytes: Buffer, at: number) => {
  const copy = Buffer.from(bytes);
  copy[at] ^= 0x01;
  return copy;
};

describe('ClickFunnels 2.0 events', () => {
  const events = clickfunnelsEvents(settingsFromSpec(clickfunnelsSpec));
  // JSON with spaces and a newline, signed exactly as sent.
  const body =
    '{"data": {"id": 17, "email_address": "ana@example.com"},\n "event_id": "ab10330c-aa29-4755-a121-6f535809bc75", "event_type": "contact.identified", "workspace_id": 42000}';
  const signed = (timestamp: string | number, key = SECRET, text = body) =>
    delivery(
      {
        'x-webhook-clickfunnels-timestamp': String(timestamp),
        'x-webhook-clickfunnels-signature': hmacHex(key, `${timestamp}.${text}`),
      },
      text,
    );
  const keys = { subscriptionSecret: SECRET };

  it('proves a genuine delivery with its endpoint secret', () => {
    expect(events.prove(signed(NOW_S), keys)).toEqual({ ok: true });
  });

  it('verifies the bytes as sent: the same JSON re-serialized is another body', () => {
    const d = signed(NOW_S);
    const compact = JSON.stringify(JSON.parse(body));
    expect(compact).not.toBe(body);
    expect(events.prove({ ...d, body: Buffer.from(compact) }, keys)).toEqual(INVALID);
  });

  it('refuses a tampered body, a tampered signature, a wrong secret and no secret', () => {
    const d = signed(NOW_S);
    expect(events.prove({ ...d, body: Buffer.from(body.replace('42000', '42001')) }, keys)).toEqual(INVALID);
    const sig = d.headers['x-webhook-clickfunnels-signature'] as string;
    expect(
      events.prove({ ...d, headers: { ...d.headers, 'x-webhook-clickfunnels-signature': flipLast(sig) } }, keys),
    ).toEqual(INVALID);
    expect(events.prove(signed(NOW_S, OTHER), keys)).toEqual(INVALID);
    expect(events.prove(signed(NOW_S), {})).toEqual(INVALID);
    expect(events.prove(signed(NOW_S), { clientSecret: SECRET })).toEqual(INVALID);
  });

  it('signs the timestamp too: a genuine signature moved to another timestamp is refused', () => {
    const d = signed(NOW_S);
    expect(
      events.prove({ ...d, headers: { ...d.headers, 'x-webhook-clickfunnels-timestamp': String(NOW_S - 1) } }, keys),
    ).toEqual(INVALID);
  });

  it('allows 600 s either way; older or further ahead is event_too_old', () => {
    expect(events.prove(signed(NOW_S - 600), keys)).toEqual({ ok: true });
    expect(events.prove(signed(NOW_S + 600), keys)).toEqual({ ok: true });
    expect(events.prove(signed(NOW_S - 601), keys)).toEqual(TOO_OLD);
    expect(events.prove(signed(NOW_S + 601), keys)).toEqual(TOO_OLD);
    // Milliseconds where seconds belong read as far in the future.
    expect(events.prove(signed(NOW.getTime()), keys)).toEqual(TOO_OLD);
  });

  it('takes its tolerance from CLICKFUNNELS_EVENTS_TOLERANCE_SECONDS', () => {
    const strict = clickfunnelsEvents(
      settingsFromSpec(clickfunnelsSpec, { CLICKFUNNELS_EVENTS_TOLERANCE_SECONDS: '60' }),
    );
    expect(strict.prove(signed(NOW_S - 60), keys)).toEqual({ ok: true });
    expect(strict.prove(signed(NOW_S - 61), keys)).toEqual(TOO_OLD);
    expect(() => settingsFromSpec(clickfunnelsSpec, { CLICKFUNNELS_EVENTS_TOLERANCE_SECONDS: '0' })).toThrow(
      /CLICKFUNNELS_EVENTS_TOLERANCE_SECONDS/,
    );
  });

  it.each<[string, Record<string, string | string[] | undefined>]>([
    ['no signature', { 'x-webhook-clickfunnels-signature': undefined }],
    ['no timestamp', { 'x-webhook-clickfunnels-timestamp': undefined }],
    ['an empty signature', { 'x-webhook-clickfunnels-signature': '' }],
    ['a repeated signature header', { 'x-webhook-clickfunnels-signature': ['a', 'b'] }],
    ['a repeated timestamp header', { 'x-webhook-clickfunnels-timestamp': [String(NOW_S), String(NOW_S)] }],
    ['a truncated signature', { 'x-webhook-clickfunnels-signature': 'abc' }],
    ['a non-hex signature', { 'x-webhook-clickfunnels-signature': 'z'.repeat(64) }],
    ['a base64 signature', { 'x-webhook-clickfunnels-signature': hmacB64(SECRET, `${NOW_S}.${body}`) }],
    ['a fractional timestamp', { 'x-webhook-clickfunnels-timestamp': `${NOW_S}.5` }],
    ['a non-numeric timestamp', { 'x-webhook-clickfunnels-timestamp': 'now' }],
  ])('refuses %s as invalid_signature, without throwing', (_name, override) => {
    const d = signed(NOW_S);
    expect(events.prove({ ...d, headers: { ...d.headers, ...override } }, keys)).toEqual(INVALID);
  });

  it('proves app-level deliveries with CLICKFUNNELS_APP_WEBHOOK_SECRET; a subscription’s secret comes first', () => {
    const settings = settingsFromSpec(clickfunnelsSpec, { CLICKFUNNELS_APP_WEBHOOK_SECRET: 'app-secret' });
    expect(events.appLevel).toBe(true);
    expect(events.appSecret?.(settings)).toBe('app-secret');
    expect(events.appSecret?.(settingsFromSpec(clickfunnelsSpec))).toBeUndefined();
    expect(events.prove(signed(NOW_S, 'app-secret'), { appSecret: 'app-secret' })).toEqual({ ok: true });
    expect(events.prove(signed(NOW_S, 'app-secret'), { subscriptionSecret: SECRET, appSecret: 'app-secret' })).toEqual(
      INVALID,
    );
  });

  it('describes the V2 envelope: type, event id, workspace', () => {
    expect(events.describe(signed(NOW_S), JSON.parse(body))).toEqual({
      type: 'contact.identified',
      eventId: 'ab10330c-aa29-4755-a121-6f535809bc75',
      uninstall: false,
      accountRef: '42000',
    });
  });

  it('describes the disconnect as the uninstall, its workspace at the top, under data or data.attributes', () => {
    const base = { event_id: 'e-9', event_type: 'platform_application.disconnected' };
    for (const payload of [
      { ...base, workspace_id: 77, team_id: 5 },
      { ...base, data: { workspace_id: '77', team_id: 5 } },
      { ...base, data: { attributes: { workspace_id: 77 } } },
    ])
      expect(events.describe(signed(NOW_S), payload)).toEqual({
        type: 'platform_application.disconnected',
        eventId: 'e-9',
        uninstall: true,
        accountRef: '77',
      });
    expect(events.uninstallEvent).toBe('platform_application.disconnected');
    expect(events.names).toEqual(
      expect.arrayContaining(['contact.created', 'order.created', 'form/submission.created']),
    );
    expect(events.names).not.toContain('platform_application.disconnected');
  });

  it('describes what it cannot read without throwing', () => {
    for (const payload of [null, [], 'text', 7, {}, { event_type: 5, workspace_id: { id: 1 } }])
      expect(events.describe(signed(NOW_S), payload)).toEqual({
        type: payload && typeof payload === 'object' && 'event_type' in payload ? '5' : 'unknown',
        eventId: undefined,
        uninstall: false,
        accountRef: undefined,
      });
  });
});

describe('Lightfunnels events', () => {
  const events = lightfunnelsEvents(settingsFromSpec(lightfunnelsSpec));
  const order = {
    node: { id: 'order_qa6C9z7NCHScxJoewz8xK', _id: 2554132, total: 35, account_id: 'acc_o5C60ZEzUTDmfB8WXSxnK' },
  };
  // Pretty-printed with non-ASCII text: the signature covers these bytes, not a re-serialization.
  const body = JSON.stringify({ ...order, note: 'café ✓' }, null, 2);
  const signed = (key = SECRET, bytes: string | Buffer = body, extra: Record<string, string> = {}) =>
    delivery({ 'lightfunnels-hmac': hmacB64(key, bytes), ...extra }, bytes);
  const keys = { clientSecret: SECRET };

  it('proves a genuine delivery with the client secret, over the bytes as sent', () => {
    expect(events.prove(signed(), keys)).toEqual({ ok: true });
    const d = signed();
    expect(events.prove({ ...d, body: Buffer.from(JSON.stringify(JSON.parse(body))) }, keys)).toEqual(INVALID);
  });

  it('has no timestamp: an old delivery is still genuine (dedupe handles replays)', () => {
    expect(events.prove({ ...signed(), receivedAt: new Date('2030-01-01T00:00:00Z') }, keys)).toEqual({ ok: true });
  });

  it('refuses a tampered body, a tampered signature, a wrong secret and no secret', () => {
    const d = signed();
    expect(events.prove({ ...d, body: Buffer.from(body.replace('35', '36')) }, keys)).toEqual(INVALID);
    const sig = d.headers['lightfunnels-hmac'] as string;
    expect(events.prove({ ...d, headers: { 'lightfunnels-hmac': flipFirst(sig) } }, keys)).toEqual(INVALID);
    expect(events.prove(signed(OTHER), keys)).toEqual(INVALID);
    expect(events.prove(signed(), {})).toEqual(INVALID);
    expect(events.prove(signed(), { subscriptionSecret: SECRET, appSecret: SECRET })).toEqual(INVALID);
  });

  it.each<[string, string | string[] | undefined]>([
    ['no signature', undefined],
    ['an empty signature', ''],
    ['a repeated header', [hmacB64(SECRET, body), hmacB64(SECRET, body)]],
    ['a hex signature', hmacHex(SECRET, body)],
    ['base64 without its padding', hmacB64(SECRET, body).replace(/=+$/, '')],
    ['a truncated signature', hmacB64(SECRET, body).slice(0, -4)],
    ['garbage', '!!!!'],
  ])('refuses %s as invalid_signature, without throwing', (_name, value) => {
    expect(events.prove(delivery({ 'lightfunnels-hmac': value }, body), keys)).toEqual(INVALID);
  });

  it('cannot read the type from the delivery: unknown, and never an uninstall by the payload’s shape', () => {
    expect(events.describe(signed(), order)).toEqual({
      type: 'unknown',
      uninstall: false,
      accountRef: 'acc_o5C60ZEzUTDmfB8WXSxnK',
    });
    // A deleted product looks exactly like the uninstall's payload.
    expect(events.describe(signed(), { node: { id: 'prod_tXbZBX43K2pBrmJ9UWTUf' } })).toEqual({
      type: 'unknown',
      uninstall: false,
      accountRef: undefined,
    });
    expect(events.describe(signed(), { type: 'order/created', node: order.node }).type).toBe('order/created');
  });

  it('reads the type from LIGHTFUNNELS_EVENTS_TYPE_HEADER when configured; the uninstall names the account as node.id', () => {
    const withHeader = lightfunnelsEvents(
      settingsFromSpec(lightfunnelsSpec, { LIGHTFUNNELS_EVENTS_TYPE_HEADER: 'Lightfunnels-Topic' }),
    );
    const uninstall = { node: { id: 'acc_o5C60ZEzUTDmfB8WXSxnK' } };
    const d = signed(SECRET, JSON.stringify(uninstall), { 'lightfunnels-topic': 'app/uninstalled' });
    expect(withHeader.describe(d, uninstall)).toEqual({
      type: 'app/uninstalled',
      uninstall: true,
      accountRef: 'acc_o5C60ZEzUTDmfB8WXSxnK',
    });
    expect(withHeader.describe(d, { node: { account_id: 'acc_2' } }).accountRef).toBe('acc_2');
    const orderDelivery = signed(SECRET, body, { 'lightfunnels-topic': 'order/confirmed' });
    expect(withHeader.describe(orderDelivery, order)).toEqual({
      type: 'order/confirmed',
      uninstall: false,
      accountRef: 'acc_o5C60ZEzUTDmfB8WXSxnK',
    });
    expect(() => settingsFromSpec(lightfunnelsSpec, { LIGHTFUNNELS_EVENTS_TYPE_HEADER: 'not a header: x' })).toThrow(
      /LIGHTFUNNELS_EVENTS_TYPE_HEADER/,
    );
    expect(events.uninstallEvent).toBe('app/uninstalled');
    expect(events.names).toContain('order/confirmed');
    expect(events.appLevel).toBeFalsy();
  });
});

describe('Keap events', () => {
  const body = JSON.stringify({
    event_key: 'contact.add',
    object_type: 'contact',
    object_keys: [{ id: 12, apiUrl: 'https://api.infusionsoft.com/crm/rest/v1/contacts/12', timestamp: '2026-03-01' }],
  });

  it('signs nothing: any delivery is proven (the URL token that found the subscription is the proof)', () => {
    expect(keapEvents.prove(delivery({}, body), {})).toEqual({ ok: true });
  });

  it('echoes the X-Hook-Secret handshake, and sees no handshake in an event', () => {
    expect(keapEvents.handshake?.(delivery({ 'x-hook-secret': 'h00k-s3cret' }, ''))).toEqual({
      'X-Hook-Secret': 'h00k-s3cret',
    });
    expect(keapEvents.handshake?.(delivery({}, body))).toBeUndefined();
    expect(keapEvents.handshake?.(delivery({ 'x-hook-secret': '' }, body))).toBeUndefined();
    expect(keapEvents.handshake?.(delivery({ 'x-hook-secret': ['a', 'b'] }, body))).toBeUndefined();
  });

  it('describes its event key; no event id, no account, no uninstall', () => {
    expect(keapEvents.describe(delivery({}, body), JSON.parse(body))).toEqual({
      type: 'contact.add',
      uninstall: false,
    });
    expect(keapEvents.describe(delivery({}, '{}'), {})).toEqual({ type: 'unknown', uninstall: false });
    expect(keapEvents.uninstallEvent).toBeUndefined();
    expect(keapEvents.names).toContain('contact.add');
  });
});

describe('Webflow events', () => {
  const events = webflowEvents(settingsFromSpec(webflowSpec));
  const payload = {
    triggerType: 'form_submission',
    payload: { name: 'Contact', siteId: '62749158efef318abc8d5a0f', data: { email: 'a@b.c' }, id: '6321ca84' },
  };
  const body = JSON.stringify(payload, null, 1);
  const signed = (timestampMs: number | string, key = SECRET, text = body) =>
    delivery(
      { 'x-webflow-timestamp': String(timestampMs), 'x-webflow-signature': hmacHex(key, `${timestampMs}:${text}`) },
      text,
    );
  const keys = { clientSecret: SECRET };
  const nowMs = NOW.getTime();

  it('proves a genuine delivery with the client secret, timestamp in milliseconds', () => {
    expect(events.prove(signed(nowMs), keys)).toEqual({ ok: true });
  });

  it('refuses a tampered body, a tampered signature, a wrong secret, no secret and a moved timestamp', () => {
    const d = signed(nowMs);
    expect(events.prove({ ...d, body: Buffer.from(body.replace('Contact', 'Kontakt')) }, keys)).toEqual(INVALID);
    expect(events.prove({ ...d, body: Buffer.from(JSON.stringify(payload)) }, keys)).toEqual(INVALID);
    const sig = d.headers['x-webflow-signature'] as string;
    expect(events.prove({ ...d, headers: { ...d.headers, 'x-webflow-signature': flipLast(sig) } }, keys)).toEqual(
      INVALID,
    );
    expect(events.prove({ ...d, headers: { ...d.headers, 'x-webflow-timestamp': String(nowMs - 1) } }, keys)).toEqual(
      INVALID,
    );
    expect(events.prove(signed(nowMs, OTHER), keys)).toEqual(INVALID);
    expect(events.prove(signed(nowMs), { subscriptionSecret: SECRET })).toEqual(INVALID);
  });

  it('refuses older than 5 minutes, and as far ahead; a timestamp in seconds reads as 1970', () => {
    expect(events.prove(signed(nowMs - 300_000), keys)).toEqual({ ok: true });
    expect(events.prove(signed(nowMs - 300_001), keys)).toEqual(TOO_OLD);
    expect(events.prove(signed(nowMs + 300_001), keys)).toEqual(TOO_OLD);
    expect(events.prove(signed(NOW_S), keys)).toEqual(TOO_OLD);
    const lenient = webflowEvents(settingsFromSpec(webflowSpec, { WEBFLOW_EVENTS_TOLERANCE_SECONDS: '900' }));
    expect(lenient.prove(signed(nowMs - 900_000), keys)).toEqual({ ok: true });
    expect(lenient.prove(signed(nowMs - 900_001), keys)).toEqual(TOO_OLD);
  });

  it.each<[string, Record<string, string | string[] | undefined>]>([
    ['no signature', { 'x-webflow-signature': undefined }],
    ['no timestamp', { 'x-webflow-timestamp': undefined }],
    ['a repeated signature header', { 'x-webflow-signature': ['a', 'b'] }],
    ['a short signature', { 'x-webflow-signature': 'deadbeef' }],
    ['a non-hex signature', { 'x-webflow-signature': 'g'.repeat(64) }],
    ['an ISO timestamp', { 'x-webflow-timestamp': NOW.toISOString() }],
  ])('refuses %s as invalid_signature, without throwing', (_name, override) => {
    const d = signed(nowMs);
    expect(events.prove({ ...d, headers: { ...d.headers, ...override } }, keys)).toEqual(INVALID);
  });

  it('describes its trigger type and site; no event id, no uninstall', () => {
    expect(events.describe(signed(nowMs), payload)).toEqual({
      type: 'form_submission',
      uninstall: false,
      accountRef: '62749158efef318abc8d5a0f',
    });
    expect(events.describe(signed(nowMs), { triggerType: 'site_publish', siteId: 's-2' }).accountRef).toBe('s-2');
    expect(events.uninstallEvent).toBeUndefined();
    expect(events.names).toEqual(expect.arrayContaining(['form_submission', 'site_publish', 'ecomm_new_order']));
  });
});

describe('every signed scheme, for any body and secret', () => {
  // For each scheme: how the provider signs (computed here), and the headers it sends.
  const schemes: [string, ProviderEvents, (key: string, body: Buffer) => Record<string, string>, 'sub' | 'client'][] = [
    [
      'clickfunnels',
      clickfunnelsEvents(settingsFromSpec(clickfunnelsSpec)),
      (key, body) => ({
        'x-webhook-clickfunnels-timestamp': String(NOW_S),
        'x-webhook-clickfunnels-signature': hmacHex(key, Buffer.concat([Buffer.from(`${NOW_S}.`), body])),
      }),
      'sub',
    ],
    [
      'lightfunnels',
      lightfunnelsEvents(settingsFromSpec(lightfunnelsSpec)),
      (key, body) => ({ 'lightfunnels-hmac': hmacB64(key, body) }),
      'client',
    ],
    [
      'webflow',
      webflowEvents(settingsFromSpec(webflowSpec)),
      (key, body) => ({
        'x-webflow-timestamp': String(NOW.getTime()),
        'x-webflow-signature': hmacHex(key, Buffer.concat([Buffer.from(`${NOW.getTime()}:`), body])),
      }),
      'client',
    ],
  ];

  it.each(schemes)('%s: accepts what is signed right, refuses any one byte changed', (_name, events, sign, keyKind) => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        (bytes, secret, at) => {
          const body = Buffer.from(bytes);
          const keys = keyKind === 'sub' ? { subscriptionSecret: secret } : { clientSecret: secret };
          const headers = sign(secret, body);
          expect(events.prove(delivery(headers, body), keys)).toEqual({ ok: true });
          expect(events.prove(delivery(headers, flipByte(body, at % body.length)), keys)).toEqual(INVALID);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('which providers receive events', () => {
  const http = {} as HttpClient;
  it('the four that document webhooks expose them; ClickFunnels Classic does not', () => {
    expect(new ClickfunnelsProvider(settingsFromSpec(clickfunnelsSpec), http).events?.uninstallEvent).toBe(
      'platform_application.disconnected',
    );
    expect(new LightfunnelsProvider(settingsFromSpec(lightfunnelsSpec), http).events?.uninstallEvent).toBe(
      'app/uninstalled',
    );
    expect(new KeapProvider(settingsFromSpec(keapSpec), http).events).toMatchObject(keapEvents);
    expect(new WebflowProvider(settingsFromSpec(webflowSpec), http).events?.names).toContain('site_publish');
    const classic: OAuthProvider = new ClickfunnelsClassicProvider(settingsFromSpec(clickfunnelsClassicSpec), http);
    expect(classic.events).toBeUndefined();
  });
});
