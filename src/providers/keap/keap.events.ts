import { deliveryHeader, payloadText } from '../core/event-proof';
import { DescribedEvent, InboundDelivery, ProofResult, ProviderEvents } from '../core/provider-events';

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
