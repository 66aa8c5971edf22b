import { hmac } from '../crypto/hmac';

/**
 * Standard Webhooks (standardwebhooks.com): sign `${id}.${timestamp}.${body}` with HMAC-SHA256 under
 * the secret's bytes; header `webhook-signature: v1,<base64>`.
 */
export function signWebhook(secret: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${hmac('sha256', secret, `${id}.${timestampSeconds}.${body}`).toString('base64')}`;
}

/** The `webhook-signature` header: one `v1,…` signature per secret, space-separated (Standard Webhooks). */
export function signatureHeader(
  secrets: readonly Buffer[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets.map((secret) => signWebhook(secret, id, timestampSeconds, body)).join(' ');
}
