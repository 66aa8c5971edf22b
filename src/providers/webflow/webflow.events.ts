import { deliveryHeader, payloadText, proveHmac } from '../core/event-proof';
import { DescribedEvent, InboundDelivery, ProofKeys, ProofResult, ProviderEvents } from '../core/provider-events';
import { ProviderSettings } from '../core/provider-settings';

const SIGNATURE = 'x-webflow-signature';
const TIMESTAMP = 'x-webflow-timestamp';

/** `triggerType`s of `POST /v2/sites/{site_id}/webhooks` (developers.webflow.com, "Webhooks"). */
const NAMES = [
  'form_submission',
  'site_publish',
  'page_created',
  'page_metadata_updated',
  'page_deleted',
  'ecomm_new_order',
  'ecomm_order_changed',
  'ecomm_inventory_changed',
  'user_account_added',
  'user_account_updated',
  'user_account_deleted',
  'collection_item_created',
  'collection_item_changed',
  'collection_item_deleted',
  'collection_item_unpublished',
] as const;

/**
 * Webflow events (docs/events.md). `x-webflow-signature` is the hex HMAC-SHA256 of
 * `"{x-webflow-timestamp}:{raw body}"` with the OAuth app's client secret (webhooks created with an
 * app's token), the timestamp in epoch milliseconds, refused when older than 5 minutes. Payload
 * `{triggerType, payload: {siteId, …}}`; no event id (dedupe falls back to the body's hash, not the
 * signed bytes, since a retry may carry a new timestamp). No uninstall event: a revoked app shows up
 * as a 401 on the periodic verify.
 */
export function webflowEvents(settings: ProviderSettings): ProviderEvents {
  const toleranceSeconds = (settings.extra.WEBFLOW_EVENTS_TOLERANCE_SECONDS as number | undefined) ?? 300;
  return {
    names: NAMES,

    prove(delivery: InboundDelivery, keys: ProofKeys): ProofResult {
      const timestamp = deliveryHeader(delivery, TIMESTAMP);
      return proveHmac({
        key: keys.clientSecret,
        signature: deliveryHeader(delivery, SIGNATURE),
        encoding: 'hex',
        signed: [timestamp ?? '', ':', delivery.body],
        timestamp: { value: timestamp, unit: 'milliseconds', toleranceSeconds, now: delivery.receivedAt },
      });
    },

    describe(_delivery: InboundDelivery, payload: unknown): DescribedEvent {
      return {
        type: payloadText(payload, 'triggerType') ?? 'unknown',
        uninstall: false,
        accountRef: payloadText(payload, 'payload', 'siteId') ?? payloadText(payload, 'siteId'),
      };
    },
  };
}
