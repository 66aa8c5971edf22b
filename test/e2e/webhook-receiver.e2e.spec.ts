import { randomBytes } from 'node:crypto';
import { verifyWebhook, WEBHOOK_TOLERANCE_SECONDS } from '../../docs/examples/webhook-receiver';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher';
import { startTestApp, TestApp } from '../support/app';
import { FakeProvider, RecordedRequest } from '../support/fake-provider';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
/** The service rotates: it signs with the new secret and the old one; each receiver holds one of them. */
const NEW_SECRET = secret();
const OLD_SECRET = secret();
const UNRELATED_SECRET = secret();

/** The receiver snippet of docs/examples, run on real deliveries of the app. */
describe('the receiver in docs/examples/webhook-receiver.ts, on real deliveries', () => {
  const receiver = new FakeProvider();
  let t: TestApp;
  let delivery: RecordedRequest;

  beforeAll(async () => {
    await receiver.start();
    receiver.on('POST', '/hooks', { status: 204 });
    t = await startTestApp({
      env: {
        WEBHOOK_URL: `${receiver.url}/hooks`,
        WEBHOOK_SECRET: `${NEW_SECRET},${OLD_SECRET}`,
        WEBHOOK_DISPATCH_INTERVAL_MS: '0',
      },
    });
    await t.api
      .post('/connections')
      .send({ provider: 'keap', ownerId: 'receiver-owner', accessToken: 'at', refreshToken: 'rt', expiresIn: 3600 })
      .expect(201);
    expect(await t.app.get(WebhookDispatcher).runOnce()).toBe(1);
    [delivery] = receiver.requestsTo('/hooks');
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  const timestamp = () => Number(delivery.headers['webhook-timestamp']);

  it('accepts a delivery with either of the secrets the service signs with', () => {
    expect(JSON.parse(delivery.rawBody)).toMatchObject({ type: 'connection.created' });
    for (const held of [NEW_SECRET, OLD_SECRET])
      expect(verifyWebhook(held, delivery.headers, delivery.rawBody)).toEqual({
        ok: true,
        id: delivery.headers['webhook-id'],
      });
    // As a Buffer too (a receiver that keeps the raw bytes).
    expect(verifyWebhook(OLD_SECRET, delivery.headers, Buffer.from(delivery.rawBody)).ok).toBe(true);
  });

  it('rejects a tampered body', () => {
    const tampered = delivery.rawBody.replace('receiver-owner', 'receiver-ownex');
    expect(tampered).not.toBe(delivery.rawBody);
    expect(verifyWebhook(NEW_SECRET, delivery.headers, tampered)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyWebhook(NEW_SECRET, delivery.headers, `${delivery.rawBody} `)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a tampered id or timestamp (both are signed)', () => {
    const headers = { ...delivery.headers, 'webhook-id': `${String(delivery.headers['webhook-id'])}x` };
    expect(verifyWebhook(NEW_SECRET, headers, delivery.rawBody)).toEqual({ ok: false, reason: 'bad_signature' });
    const shifted = { ...delivery.headers, 'webhook-timestamp': String(timestamp() + 1) };
    expect(verifyWebhook(NEW_SECRET, shifted, delivery.rawBody)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a wrong secret', () => {
    expect(verifyWebhook(UNRELATED_SECRET, delivery.headers, delivery.rawBody)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a timestamp more than 5 minutes from the receiver’s clock, either way', () => {
    const at = (offset: number) => verifyWebhook(NEW_SECRET, delivery.headers, delivery.rawBody, timestamp() + offset);
    expect(at(WEBHOOK_TOLERANCE_SECONDS)).toMatchObject({ ok: true });
    expect(at(-WEBHOOK_TOLERANCE_SECONDS)).toMatchObject({ ok: true });
    // A replay 6 minutes later, or a delivery stamped in the receiver's future.
    expect(at(WEBHOOK_TOLERANCE_SECONDS + 60)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(at(-WEBHOOK_TOLERANCE_SECONDS - 60)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('rejects a delivery without the Standard Webhooks headers', () => {
    const { ['webhook-signature']: _dropped, ...unsigned } = delivery.headers;
    expect(verifyWebhook(NEW_SECRET, unsigned, delivery.rawBody)).toEqual({ ok: false, reason: 'missing_headers' });
  });
});
