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

export interface ProviderEvents {
  /** The event names a subscription may ask for (GET /providers lists them). */
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
