import { deliveryHeader, payloadText, proveHmac } from '../core/event-proof';
import { ProviderError } from '../core/provider-errors';
import {
  DescribedEvent,
  EventRegistration,
  InboundDelivery,
  ProofKeys,
  ProofResult,
  ProviderEvents,
  registerEach,
  Registration,
  SubscribeCall,
  SubscriptionRefused,
  UnsubscribeCall,
} from '../core/provider-events';
import { ProviderHttpClient } from '../core/provider-http-client';
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
/** The names, for the sandbox simulator that stands in for the provider's registration API. */
export const WEBFLOW_EVENT_NAMES: readonly string[] = NAMES;

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

/** `{…}/v2` of Webflow's API base (the default, `https://api.webflow.com/v2`, ends with it). */
export function webflowApiV2(apiBase: string): string {
  const base = apiBase.replace(/\/+$/, '');
  return base.endsWith('/v2') ? base : `${base}/v2`;
}

interface Introspection {
  authorization?: { authorizedTo?: { siteIds?: unknown } };
}

/**
 * Webflow site webhooks (developers.webflow.com, "Create Webhook"): the sites the authorization covers
 * from `GET {api}/v2/token/introspect` (`authorization.authorizedTo.siteIds`), then
 * `POST {api}/v2/sites/{site_id}/webhooks {triggerType, url}` for each site and event (remote ids: the
 * webhooks' `id`s), `DELETE {api}/v2/webhooks/{id}`. An authorization without a site has nothing to
 * subscribe on: SubscriptionRefused('no_target').
 */
export function webflowRegistration(http: ProviderHttpClient): EventRegistration {
  return {
    async subscribe({ accessToken, connection, url, events }: SubscribeCall): Promise<Registration> {
      const api = webflowApiV2(connection.apiBase);
      const introspection = await http.api<Introspection>('GET', `${api}/token/introspect`, accessToken);
      const listed = introspection?.authorization?.authorizedTo?.siteIds;
      const sites = Array.isArray(listed)
        ? listed.filter((s): s is string => typeof s === 'string' && s !== '').slice(0, 100)
        : [];
      if (!sites.length)
        throw new SubscriptionRefused('no_target', 'The Webflow authorization of this connection covers no site');
      const parts = sites.flatMap((site) => events.map((triggerType) => ({ site, triggerType })));
      const remoteIds = await registerEach(
        parts,
        async ({ site, triggerType }) => {
          const created = await http.api<{ id?: string | number }>(
            'POST',
            `${api}/sites/${encodeURIComponent(site)}/webhooks`,
            accessToken,
            { triggerType, url },
          );
          const id = typeof created?.id === 'number' || typeof created?.id === 'string' ? String(created.id) : '';
          if (!id) throw new ProviderError('bad_response', 'Webflow created a webhook without an id');
          return id;
        },
        (id) => http.apiDelete(`${api}/webhooks/${encodeURIComponent(id)}`, accessToken),
      );
      return { remoteIds, status: 'active' };
    },

    async unsubscribe({ accessToken, connection, remoteIds }: UnsubscribeCall): Promise<void> {
      const api = webflowApiV2(connection.apiBase);
      for (const id of remoteIds) await http.apiDelete(`${api}/webhooks/${encodeURIComponent(id)}`, accessToken);
    },
  };
}
