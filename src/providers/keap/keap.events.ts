import { deliveryHeader, payloadText } from '../core/event-proof';
import { ProviderError } from '../core/provider-errors';
import {
  DescribedEvent,
  EventRegistration,
  InboundDelivery,
  ProofResult,
  ProviderEvents,
  registerEach,
  Registration,
  SubscribeCall,
  UnsubscribeCall,
} from '../core/provider-events';
import { ProviderHttpClient } from '../core/provider-http-client';

const HOOK_SECRET = 'x-hook-secret';

/**
 * Event keys a REST hook may be created for (`POST /v1/hooks {eventKey, hookUrl}`, one key each). Keap
 * lists the live set at `GET /v1/hooks/event_keys`; these are its long-standing object events.
 */
const NAMES = [
  'contact.add',
  'contact.edit',
  'contact.delete',
  'contactGroup.add',
  'contactGroup.edit',
  'contactGroup.delete',
  'contactGroup.applied',
  'contactGroup.removed',
  'company.add',
  'company.edit',
  'company.delete',
  'invoice.add',
  'invoice.edit',
  'invoice.delete',
  'invoice.payment.add',
  'invoice.payment.edit',
  'invoice.payment.delete',
  'opportunity.add',
  'opportunity.edit',
  'opportunity.delete',
  'opportunity.stage_move',
  'order.add',
  'order.edit',
  'order.delete',
  'product.add',
  'product.edit',
  'product.delete',
  'subscription.add',
  'subscription.edit',
  'subscription.delete',
  'task.add',
  'task.edit',
  'task.delete',
  'note.add',
  'note.edit',
  'note.delete',
  'appointment.add',
  'appointment.edit',
  'appointment.delete',
] as const;
/** The names, for the sandbox simulator that stands in for the provider's registration API. */
export const KEAP_EVENT_NAMES: readonly string[] = NAMES;

/**
 * Keap REST hooks (docs/events.md). Deliveries are not signed: the unguessable URL token that found
 * the subscription is the whole proof. Before any event Keap POSTs the hook URL with `X-Hook-Secret`
 * and expects 200 echoing that header (possibly before the create call has returned). Payload
 * `{event_key, object_type, object_keys: [{id, apiUrl, timestamp}]}`: no event id (dedupe falls back
 * to the body's hash), no tenant id, no uninstall event.
 */
export const keapEvents: ProviderEvents = {
  names: NAMES,

  prove(): ProofResult {
    return { ok: true };
  },

  handshake(delivery: InboundDelivery): Record<string, string> | undefined {
    const secret = deliveryHeader(delivery, HOOK_SECRET);
    return secret === undefined ? undefined : { 'X-Hook-Secret': secret };
  },

  describe(_delivery: InboundDelivery, payload: unknown): DescribedEvent {
    return { type: payloadText(payload, 'event_key') ?? 'unknown', uninstall: false };
  },
};

/** `{…}/v1` of Keap's API base (the default, `https://api.infusionsoft.com/crm/rest/v1`, ends with it). */
export function keapApiV1(apiBase: string): string {
  const base = apiBase.replace(/\/+$/, '');
  return base.endsWith('/v1') ? base : `${base}/v1`;
}

interface RestHook {
  key?: string | number;
  status?: string;
}

/**
 * Keap REST hooks (developer.infusionsoft.com, "REST Hooks"): `POST {api}/v1/hooks {eventKey,
 * hookUrl}`, one event key each (remote ids: the hooks' `key`s), `DELETE {api}/v1/hooks/{key}`. Keap
 * then POSTs the URL with `X-Hook-Secret` (possibly before the create call returns): until that
 * handshake is answered the subscription is `pending_verification`, unless every hook came back
 * `Verified` already.
 */
export function keapRegistration(http: ProviderHttpClient): EventRegistration {
  const hookUrl = (apiBase: string, key: string) => `${keapApiV1(apiBase)}/hooks/${encodeURIComponent(key)}`;
  return {
    async subscribe({ accessToken, connection, url, events }: SubscribeCall): Promise<Registration> {
      let verified = true;
      const remoteIds = await registerEach(
        events,
        async (eventKey) => {
          const hook = await http.api<RestHook>('POST', `${keapApiV1(connection.apiBase)}/hooks`, accessToken, {
            eventKey,
            hookUrl: url,
          });
          const key = typeof hook?.key === 'number' || typeof hook?.key === 'string' ? String(hook.key) : '';
          if (!key) throw new ProviderError('bad_response', 'Keap created a hook without a key');
          verified &&= hook.status === 'Verified';
          return key;
        },
        (key) => http.apiDelete(hookUrl(connection.apiBase, key), accessToken),
      );
      return { remoteIds, status: verified ? 'active' : 'pending_verification' };
    },

    async unsubscribe({ accessToken, connection, remoteIds }: UnsubscribeCall): Promise<void> {
      for (const key of remoteIds) await http.apiDelete(hookUrl(connection.apiBase, key), accessToken);
    },
  };
}
