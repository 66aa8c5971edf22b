import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks (standardwebhooks.com): sign `${id}.${timestamp}.${body}` with HMAC-SHA256 under
 * the secret's bytes; header `webhook-signature: v1,<base64>`.
 */
export function signWebhook(secret: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}
