import { deliveryHeader, payloadText, proveHmac } from '../core/event-proof';
import { DescribedEvent, InboundDelivery, ProofKeys, ProofResult, ProviderEvents } from '../core/provider-events';
import { ProviderSettings } from '../core/provider-settings';

const SIGNATURE = 'lightfunnels-hmac';
const UNINSTALL = 'app/uninstalled';

/** The `type`s of `createWebhook` (developer.lightfunnels.com/webhooks, "Event Types"), but the uninstall. */
const NAMES = [
  'order/created',
  'order/confirmed',
  'order/fulfilled',
  'order/cancelled',
  'order/uncancelled',
  'order/refunded',
  'order-item/created',
  'payment/created',
  'payment/paid',
  'contact-form/created',
  'contact/signup',
  'contact/updated',
  'checkout/created',
  'checkout/updated',
  'product/created',
  'product/updated',
  'product/deleted',
  'funnel/created',
  'funnel/updated',
  'funnel/deleted',
] as const;

/**
 * Lightfunnels events (docs/events.md). `lightfunnels-hmac` is the base64 HMAC-SHA256 of the body with
 * the app's client secret; no timestamp, no event id (dedupe falls back to the body's hash). Their
 * docs compute it over `JSON.stringify(req.body)`, i.e. the JSON as sent when it is compact; the raw
 * bytes are what is verified here.
 *
 * The event type is NOT in the delivery as far as anyone documents: every payload is `{node: {…}}`
 * (an order, a customer, or just `{id}` for checkouts, products, funnels and the uninstall alike) and
 * no header names the type; Lightfunnels' own sample apps register one URL per type. So the type
 * comes from a header only if LIGHTFUNNELS_EVENTS_TYPE_HEADER names one (or a `type` field, should a
 * payload carry it); otherwise it is `unknown` and must be taken from the subscription the URL token
 * found (one Lightfunnels webhook per type). Guessing from the payload's shape would mistake a deleted
 * product for an uninstall.
 *
 * Uninstall: `app/uninstalled`, payload `{"node": {"id": "<account id>"}}`. Other events name the
 * account as `node.account_id` (orders); `node.id` is the account only in the uninstall.
 */
export function lightfunnelsEvents(settings: ProviderSettings): ProviderEvents {
  const typeHeader = settings.extra.LIGHTFUNNELS_EVENTS_TYPE_HEADER as string | undefined;
  return {
    names: NAMES,
    uninstallEvent: UNINSTALL,

    prove(delivery: InboundDelivery, keys: ProofKeys): ProofResult {
      return proveHmac({
        key: keys.clientSecret,
        signature: deliveryHeader(delivery, SIGNATURE),
        encoding: 'base64',
        signed: [delivery.body],
      });
    },

    describe(delivery: InboundDelivery, payload: unknown): DescribedEvent {
      const type =
        (typeHeader ? deliveryHeader(delivery, typeHeader) : undefined) ?? payloadText(payload, 'type') ?? 'unknown';
      const uninstall = type === UNINSTALL;
      return {
        type,
        uninstall,
        accountRef: uninstall
          ? (payloadText(payload, 'node', 'id') ?? payloadText(payload, 'node', 'account_id'))
          : payloadText(payload, 'node', 'account_id'),
      };
    },
  };
}
