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
  UnsubscribeCall,
} from '../core/provider-events';
import { ProviderHttpClient } from '../core/provider-http-client';
import { ProviderSettings } from '../core/provider-settings';

const SIGNATURE = 'x-webhook-clickfunnels-signature';
const TIMESTAMP = 'x-webhook-clickfunnels-timestamp';
const UNINSTALL = 'platform_application.disconnected';

/**
 * Event types a subscription may ask for (`event_type_ids` of an outgoing endpoint), from ClickFunnels'
 * "Webhook Event Types" page (developers.myclickfunnels.com/docs/webhook-event-types): the contact,
 * order, subscription, invoice, form and course events a product is likely to want, not every type.
 */
const NAMES = [
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.identified',
  'contact/applied_tag.created',
  'contact/applied_tag.deleted',
  'form/submission.created',
  'order.created',
  'order.updated',
  'order.deleted',
  'order.completed',
  'one-time-order.completed',
  'one_time_order.refunded',
  'subscription.activated',
  'subscription.canceled',
  'subscription.churned',
  'subscription.first_payment_received',
  'orders/invoice.created',
  'orders/invoice.refunded',
  'one-time-order.invoice.paid',
  'subscription/invoice.paid',
  'orders/transaction.created',
  'courses/enrollment.created',
  'courses/enrollment.course_completed',
  'appointments/scheduled_event.created',
] as const;
/** The names, for the sandbox simulator that stands in for the provider's registration API. */
export const CLICKFUNNELS_EVENT_NAMES: readonly string[] = NAMES;

/**
 * ClickFunnels 2.0 events (docs/events.md). `X-Webhook-ClickFunnels-Signature` is the hex HMAC-SHA256
 * of `"{timestamp}.{raw body}"` with the endpoint's `webhook_secret` (handed out once, when the endpoint
 * is created), `X-Webhook-ClickFunnels-Timestamp` Unix seconds, 600 s tolerance
 * (developers.myclickfunnels.com/docs/signature-verification). The V2 envelope is
 * `{data, event_id, event_type, subject_id, subject_type, workspace_id, …}`; V1 puts the workspace
 * under `data.attributes`.
 *
 * Uninstall: `platform_application.disconnected` (payload has the team/workspace ids). Where it is
 * subscribed and its exact JSON are not documented, so it is also taken on the app-level route,
 * signed with CLICKFUNNELS_APP_WEBHOOK_SECRET, and its workspace is looked for at the top, under `data`
 * and under `data.attributes`.
 */
export function clickfunnelsEvents(settings: ProviderSettings): ProviderEvents {
  const toleranceSeconds = (settings.extra.CLICKFUNNELS_EVENTS_TOLERANCE_SECONDS as number | undefined) ?? 600;
  return {
    names: NAMES,
    uninstallEvent: UNINSTALL,
    appLevel: true,
    appSecret: (s) => s.extra.CLICKFUNNELS_APP_WEBHOOK_SECRET as string | undefined,

    prove(delivery: InboundDelivery, keys: ProofKeys): ProofResult {
      const timestamp = deliveryHeader(delivery, TIMESTAMP);
      return proveHmac({
        // A subscription's deliveries are signed with its endpoint's secret; app-level ones with the app's.
        key: keys.subscriptionSecret ?? keys.appSecret,
        signature: deliveryHeader(delivery, SIGNATURE),
        encoding: 'hex',
        signed: [timestamp ?? '', '.', delivery.body],
        timestamp: { value: timestamp, unit: 'seconds', toleranceSeconds, now: delivery.receivedAt },
      });
    },

    describe(_delivery: InboundDelivery, payload: unknown): DescribedEvent {
      const type = payloadText(payload, 'event_type') ?? 'unknown';
      return {
        type,
        eventId: payloadText(payload, 'event_id'),
        uninstall: type === UNINSTALL,
        accountRef:
          payloadText(payload, 'workspace_id') ??
          payloadText(payload, 'data', 'workspace_id') ??
          payloadText(payload, 'data', 'attributes', 'workspace_id'),
      };
    },
  };
}

/**
 * `{…}/api/v2` of a connection's API base: the default base already ends with it, a workspace_url
 * (`https://{sub}.myclickfunnels.com`, ClickFunnels' seed) is an origin to prefix it with.
 */
export function clickfunnelsApiV2(apiBase: string): string {
  const base = apiBase.replace(/\/+$/, '');
  return base.endsWith('/api/v2') ? base : `${base}/api/v2`;
}

interface OutgoingEndpoint {
  id?: string | number;
  webhook_secret?: string;
}

/**
 * ClickFunnels 2.0 outgoing webhook endpoints (developers.myclickfunnels.com, "Webhooks outgoing
 * endpoints"): `POST {api}/api/v2/workspaces/{workspace_id}/webhooks/outgoing/endpoints`
 * `{webhooks_outgoing_endpoint: {url, name, event_type_ids}}`, one endpoint for all the events; the
 * answer's `webhook_secret` is shown this once (it signs the deliveries). Removed with
 * `DELETE {api}/api/v2/webhooks/outgoing/endpoints/{id}` (the API's member routes are not nested
 * under the workspace).
 */
export function clickfunnelsRegistration(http: ProviderHttpClient): EventRegistration {
  const endpointUrl = (apiBase: string, id: string) =>
    `${clickfunnelsApiV2(apiBase)}/webhooks/outgoing/endpoints/${encodeURIComponent(id)}`;
  return {
    async subscribe({ accessToken, connection, url, events, subscriptionId }: SubscribeCall): Promise<Registration> {
      const workspace = connection.workspaceId ?? connection.accountId;
      const created = await http.api<OutgoingEndpoint>(
        'POST',
        `${clickfunnelsApiV2(connection.apiBase)}/workspaces/${encodeURIComponent(workspace)}/webhooks/outgoing/endpoints`,
        accessToken,
        { webhooks_outgoing_endpoint: { url, name: `oauth-connections ${subscriptionId}`, event_type_ids: events } },
      );
      const id = typeof created?.id === 'number' || typeof created?.id === 'string' ? String(created.id) : '';
      if (!id) throw new ProviderError('bad_response', 'ClickFunnels created an endpoint without an id');
      const secret = created.webhook_secret;
      if (typeof secret !== 'string' || !secret) {
        // Without its secret no delivery could be proven: the endpoint is useless, remove it.
        await http.apiDelete(endpointUrl(connection.apiBase, id), accessToken).catch(() => undefined);
        throw new ProviderError('bad_response', 'ClickFunnels created an endpoint without its webhook_secret');
      }
      return { remoteIds: [id], secret, status: 'active' };
    },

    async unsubscribe({ accessToken, connection, remoteIds }: UnsubscribeCall): Promise<void> {
      for (const id of remoteIds) await http.apiDelete(endpointUrl(connection.apiBase, id), accessToken);
    },
  };
}
