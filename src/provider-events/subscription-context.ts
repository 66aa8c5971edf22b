import { CipherContext } from '../crypto/token-cipher';

/** Encryption context of a subscription's signing secret: bound to its event_subscriptions row. */
export function subscriptionSecretContext(id: string): CipherContext {
  return { table: 'event_subscriptions', id, field: 'secret' };
}

/** Encryption context of the access token a `removing` subscription keeps to unregister with. */
export function subscriptionTokenContext(id: string): CipherContext {
  return { table: 'event_subscriptions', id, field: 'access_token' };
}
