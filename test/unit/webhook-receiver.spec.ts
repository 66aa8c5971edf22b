import { randomBytes } from 'node:crypto';
import { verifyWebhook } from '../../docs/examples/webhook-receiver';
import { signatureHeader, signWebhook } from '../../src/webhooks/signature';

// The receiver snippet of docs/examples against the service's own signing code: the edge cases a
// real delivery does not show.
describe('docs/examples/webhook-receiver.ts', () => {
  const key = randomBytes(32);
  const secret = `whsec_${key.toString('base64')}`;
  const other = randomBytes(32);
  const now = 1_800_000_000;
  const body = '{"type":"connection.created","data":{"connectionId":"c1"}}';
  const headers = (signature: string, timestamp: number | string = now, id = 'msg_1') => ({
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  });

  it('accepts the service’s signature, wherever it stands in the header', () => {
    expect(verifyWebhook(secret, headers(signWebhook(key, 'msg_1', now, body)), body, now)).toEqual({
      ok: true,
      id: 'msg_1',
    });
    const rotating = signatureHeader([other, key], 'msg_1', now, body);
    expect(rotating.split(' ')).toHaveLength(2);
    expect(verifyWebhook(secret, headers(rotating), body, now).ok).toBe(true);
  });

  it('reads headers in any case and takes the secret with or without its whsec_ prefix', () => {
    const signature = signWebhook(key, 'msg_1', now, body);
    const shouting = { 'Webhook-Id': 'msg_1', 'WEBHOOK-TIMESTAMP': String(now), 'Webhook-Signature': signature };
    expect(verifyWebhook(secret, shouting, body, now).ok).toBe(true);
    expect(verifyWebhook(key.toString('base64'), headers(signature), body, now).ok).toBe(true);
  });

  it.each([
    ['another version', (s: string) => s.replace(/^v1,/, 'v2,')],
    ['no version', (s: string) => s.replace(/^v1,/, '')],
    ['a truncated signature', (s: string) => s.slice(0, -4)],
    ['an empty signature', () => 'v1,'],
    ['the signature of another secret', () => signWebhook(other, 'msg_1', now, body)],
  ])('rejects %s', (_name, change) => {
    const signature = change(signWebhook(key, 'msg_1', now, body));
    expect(verifyWebhook(secret, headers(signature), body, now)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.each(['', 'soon', '1.5', '-1', '1e9'])('rejects the timestamp %j', (timestamp) => {
    const signature = signWebhook(key, 'msg_1', now, body);
    expect(verifyWebhook(secret, headers(signature, timestamp), body, now).ok).toBe(false);
  });

  it('refuses timestamps more than 5 minutes off, accepts up to 5 minutes', () => {
    const at = (timestamp: number) =>
      verifyWebhook(secret, headers(signWebhook(key, 'msg_1', timestamp, body), timestamp), body, now);
    expect(at(now - 300).ok).toBe(true);
    expect(at(now + 300).ok).toBe(true);
    expect(at(now - 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(at(now + 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });
});
