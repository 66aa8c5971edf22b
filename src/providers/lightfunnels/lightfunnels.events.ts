import { deliveryHeader, payloadText, proveHmac } from '../core/event-proof';
import { ProviderError } from '../core/provider-errors';
import {
  DescribedEvent,
  EventRegistration,
  InboundDelivery,
  ProofKeys,
  ProofResult,
  ProviderEvents,
  Registration,
  SubscribeCall,
  SubscriptionRefused,
  UnsubscribeCall,
} from '../core/provider-events';
import { ProviderHttpClient } from '../core/provider-http-client';
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
/** The names, for the sandbox simulator that stands in for the provider's registration API. */
export const LIGHTFUNNELS_EVENT_NAMES: readonly string[] = NAMES;

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
    subscribeUninstallAtConnect: settings.extra.LIGHTFUNNELS_SUBSCRIBE_UNINSTALL !== false,

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

interface GraphqlAnswer<T> {
  data?: T | null;
  errors?: { message?: unknown; extensions?: { code?: unknown } }[];
}

/** A GraphQL error's code, only when it looks like one (never the provider's free text in a message). */
function errorCodes(answer: GraphqlAnswer<unknown> | null | undefined): string[] {
  return (Array.isArray(answer?.errors) ? answer.errors : []).map((e) => {
    const code = e?.extensions?.code ?? e?.message;
    return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'graphql_error';
  });
}

/** A GraphQL string literal of a value the service made (an event name from the list, its own URL, an id). */
const literal = (value: string) => JSON.stringify(value);

/**
 * Lightfunnels webhooks (developer.lightfunnels.com/webhooks), GraphQL at the API base:
 * `mutation { createWebhook(node: {type, url, version, settings}) { id } }`, one type each, and
 * `mutation { deleteWebhook(id) }`. One event per subscription (`oneEventPerSubscription`): the
 * deliveries do not name their type, so the URL must. `webhooks_duplicated` (Lightfunnels already
 * has such a webhook) is a SubscriptionRefused('duplicate').
 */
export function lightfunnelsRegistration(http: ProviderHttpClient): EventRegistration {
  return {
    oneEventPerSubscription: true,

    async subscribe({ accessToken, connection, url, events }: SubscribeCall): Promise<Registration> {
      if (events.length !== 1) throw new Error('A Lightfunnels subscription takes exactly one event');
      const query = `mutation { createWebhook(node: {type: ${literal(events[0])}, url: ${literal(url)}, version: "v2", settings: {}}) { id } }`;
      const answer = await http.api<GraphqlAnswer<{ createWebhook?: { id?: string | number } | null }>>(
        'POST',
        connection.apiBase,
        accessToken,
        { query },
      );
      const codes = errorCodes(answer);
      if (codes.includes('webhooks_duplicated'))
        throw new SubscriptionRefused(
          'duplicate',
          `Lightfunnels already has a webhook for ${events[0]} on this account (webhooks_duplicated)`,
        );
      if (codes.length) throw new ProviderError('rejected', `Lightfunnels answered ${codes[0]}`);
      const id = answer?.data?.createWebhook?.id;
      if ((typeof id !== 'string' && typeof id !== 'number') || id === '')
        throw new ProviderError('bad_response', 'Lightfunnels createWebhook returned no id');
      return { remoteIds: [String(id)], status: 'active' };
    },

    async unsubscribe({ accessToken, connection, remoteIds }: UnsubscribeCall): Promise<void> {
      for (const id of remoteIds) {
        const answer = await http.api<GraphqlAnswer<unknown>>('POST', connection.apiBase, accessToken, {
          query: `mutation { deleteWebhook(id: ${literal(id)}) }`,
        });
        // A webhook Lightfunnels no longer has is removed already.
        const codes = errorCodes(answer).filter((code) => !/not_?found/i.test(code));
        if (codes.length) throw new ProviderError('rejected', `Lightfunnels answered ${codes[0]}`);
      }
    },
  };
}
