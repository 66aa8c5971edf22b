/**
 * Verifying a webhook of the OAuth connection service in your receiver: Standard Webhooks
 * (https://www.standardwebhooks.com/), Node's crypto only, no dependencies. Copy the function.
 *
 * Verify the raw body exactly as received, before parsing it as JSON:
 *
 *   const check = verifyWebhook(process.env.WEBHOOK_SECRET!, request.headers, rawBody);
 *   if (!check.ok) return reply.status(400).send({ error: check.reason });
 *   const event = JSON.parse(rawBody.toString('utf8'));
 *   // Delivery is at least once: skip an event whose `webhook-id` you have already handled.
 *
 * The test suite runs this file against real deliveries (test/e2e/webhook-receiver.e2e.spec.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Timestamps further than this from the receiver's clock are refused (replays, badly skewed clocks). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export type WebhookCheck =
  | { ok: true; id: string }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'stale_timestamp' | 'bad_signature' };

type Headers = Record<string, string | string[] | undefined>;

/**
 * `secret`: the receiver's secret as configured in WEBHOOK_SECRET (`whsec_` + base64); the HMAC key is
 * the bytes after the prefix. `headers`: the request headers (any case). `rawBody`: the body as received.
 * `nowSeconds`: the receiver's clock, in Unix seconds.
 */
export function verifyWebhook(
  secret: string,
  headers: Headers,
  rawBody: string | Buffer,
  nowSeconds = Date.now() / 1000,
): WebhookCheck {
  const id = headerOf(headers, 'webhook-id');
  const timestamp = headerOf(headers, 'webhook-timestamp');
  const signatures = headerOf(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  if (Math.abs(nowSeconds - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS)
    return { ok: false, reason: 'stale_timestamp' };

  // The signed content is `${id}.${timestamp}.${body}`, keyed with the secret's bytes.
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();

  // One `v1,<base64>` per secret the service signs with (several while it rotates), space-separated.
  for (const signature of signatures.split(' ')) {
    const comma = signature.indexOf(',');
    if (comma < 0 || signature.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(signature.slice(comma + 1), 'base64');
    // Constant time: how much of a signature matched never shows in the time the check takes.
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, id };
  }
  return { ok: false, reason: 'bad_signature' };
}

function headerOf(headers: Headers, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
