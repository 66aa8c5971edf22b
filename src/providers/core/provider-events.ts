import type { ProviderSettings } from './provider-settings';

/**
 * Provider events (inbound webhooks): the contract a provider folder implements to have its own
 * events received (docs/events.md). The inbound route (`/events/{provider}/{token}`) finds the
 * subscription by its URL token, asks the provider to prove the delivery with the keys it has, then
 * to describe it; the event is stored and forwarded as `provider.event` once.
 */

/** One inbound delivery as it came: headers (lower-case names) and the exact bytes of its body. */
export interface InboundDelivery {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly receivedAt: Date;
}

/** The secrets a proof may use; which one a provider signs with is its own business. */
export interface ProofKeys {
  /** The subscription's own secret, as the provider handed it at registration (ClickFunnels 2.0). */
  subscriptionSecret?: string;
  /** The app's OAuth client secret (Lightfunnels, Webflow). */
  clientSecret?: string;
  /** An app-level webhook secret from configuration (ClickFunnels 2.0's app events). */
  appSecret?: string;
}

/** What the proof of a delivery decided. */
export type ProofResult = { ok: true } | { ok: false; reason: 'invalid_signature' | 'event_too_old' };

/** A proven delivery, as the service stores and forwards it. */
export interface DescribedEvent {
  /** The provider's event name (`order/created`, `contact.add`, …). */
  type: string;
  /** The provider's own id of the event, when it gives one (dedupe falls back to the body's SHA-256). */
  eventId?: string;
  /** The provider's per-account "app uninstalled / disconnected" event. */
  uninstall: boolean;
  /** The account the event names, for app-level deliveries (ClickFunnels workspace id, Lightfunnels account id). */
  accountRef?: string;
}

export interface ProviderEvents extends Partial<EventRegistration> {
  /** The event names a subscription may ask for (GET /providers lists them, with the uninstall event). */
  readonly names: readonly string[];
  /**
   * The provider also posts events that belong to no subscription (app-level: an uninstall), to
   * `/events/{provider}`, signed with a key of the app's. Only a provider that signs may: without the
   * URL token, the signature is the only proof.
   */
  readonly appLevel?: boolean;
  /** The app-level signing secret from the provider's settings, where it is not the client secret. */
  appSecret?(settings: ProviderSettings): string | undefined;
  /** The provider's per-account uninstall event, if it reports one. */
  readonly uninstallEvent?: string;
  /**
   * The uninstall event must be registered per account (Lightfunnels), and the configuration wants it
   * (`<P>_SUBSCRIBE_UNINSTALL`): the service subscribes it by itself when a browser flow connects.
   */
  readonly subscribeUninstallAtConnect?: boolean;
  /**
   * Proves a delivery: an HMAC over the exact bytes the provider signs, compared in constant time, with
   * the provider's timestamp tolerance. A provider that signs nothing (Keap) proves nothing here: the
   * unguessable URL token that found the subscription is the proof.
   */
  prove(delivery: InboundDelivery, keys: ProofKeys): ProofResult;
  /** The event's type, id and account from the delivery and its parsed JSON body. */
  describe(delivery: InboundDelivery, payload: unknown): DescribedEvent;
  /**
   * A registration handshake the provider sends to the URL before any event (Keap's `X-Hook-Secret`):
   * the headers to answer 200 with, or undefined when the delivery is not one.
   */
  handshake?(delivery: InboundDelivery): Record<string, string> | undefined;
}

/** The connection a registration is made for, as the service stored it. */
export interface SubscriptionConnection {
  /** Where its API calls go: `provider.apiBaseFor(connection.apiBaseUrl)`, already resolved. */
  readonly apiBase: string;
  readonly accountId: string;
  readonly workspaceId: string | null;
}

/** Register `url` at the provider for `events`, with the connection's access token. */
export interface SubscribeCall {
  readonly accessToken: string;
  readonly connection: SubscriptionConnection;
  /** `{PUBLIC_URL}/events/{provider}/{token}`: where the provider is to post. */
  readonly url: string;
  /** Known names of this provider (validated), at least one; exactly one where `oneEventPerSubscription`. */
  readonly events: readonly string[];
  /** The service's id of the subscription, for a provider that wants a name for what is registered. */
  readonly subscriptionId: string;
}

/** What the provider registered. */
export interface Registration {
  /** The provider's ids of what was created (one per event, or per site and event), to unregister it. */
  remoteIds: string[];
  /** A signing secret the provider handed back (ClickFunnels 2.0's `webhook_secret`), stored encrypted. */
  secret?: string;
  /** `pending_verification` until the provider's handshake arrives at the URL (Keap). */
  status: 'active' | 'pending_verification';
}

export interface UnsubscribeCall {
  readonly accessToken: string;
  readonly connection: SubscriptionConnection;
  readonly remoteIds: readonly string[];
}

/**
 * The provider refused a registration for a reason the caller can act on (not an outage): thrown by
 * `subscribe` and answered 409 or 422 by the subscriptions API. Other failures are ProviderErrors.
 */
export class SubscriptionRefused extends Error {
  constructor(
    /** `duplicate`: the provider already has such a webhook; `no_target`: nothing to subscribe on (no site). */
    readonly reason: 'duplicate' | 'no_target',
    message: string,
  ) {
    super(message);
    this.name = 'SubscriptionRefused';
  }
}

/**
 * Registering webhooks at the provider (POST/DELETE /connections/{id}/subscriptions): the provider's
 * own HTTP calls with the connection's token, through its ProviderHttpClient (errors are ProviderErrors).
 * A provider whose `ProviderEvents` lacks it receives events but cannot be subscribed through the API.
 */
export interface EventRegistration {
  /**
   * Its deliveries do not name their type (Lightfunnels), so a subscription takes exactly one event:
   * the subscription the URL token finds says which.
   */
  readonly oneEventPerSubscription?: boolean;
  /**
   * Registers the URL for the events. All or nothing: what was registered before a failure is
   * unregistered (best effort) before the error is thrown.
   */
  subscribe(call: SubscribeCall): Promise<Registration>;
  /** Removes what `subscribe` registered; what the provider no longer has (404) counts as removed. */
  unsubscribe(call: UnsubscribeCall): Promise<void>;
}

/** Registers the parts one by one; when one fails, removes those already made (best effort) and rethrows. */
export async function registerEach<T>(
  parts: readonly T[],
  register: (part: T) => Promise<string>,
  unregister: (remoteId: string) => Promise<unknown>,
): Promise<string[]> {
  const made: string[] = [];
  try {
    for (const part of parts) made.push(await register(part));
    return made;
  } catch (error) {
    await Promise.allSettled(made.map((id) => unregister(id)));
    throw error;
  }
}
