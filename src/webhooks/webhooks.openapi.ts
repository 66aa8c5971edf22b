import type { OpenAPIObject } from '@nestjs/swagger';
import { DATE_TIME_SCHEMA, ID_MAX_LENGTH, PROVIDER_NAME_SCHEMA, UUID_SCHEMA } from '../common/limits';
import { WEBHOOK_EVENTS, WebhookEvent } from './webhook-delivery.entity';

type PathItemObject = NonNullable<OpenAPIObject['webhooks']>[string];
type OperationObject = NonNullable<PathItemObject['post']>;
type Components = NonNullable<OpenAPIObject['components']>;
type SchemaObject = NonNullable<Components['schemas']>[string];

type Body = 'ConnectionEventWebhook' | 'ProviderEventWebhook';

/** Each event type's body and when it is sent (docs/operations.md "Webhooks", docs/events.md). */
const WEBHOOK_EVENT_DOCS: Record<WebhookEvent, { body: Body; summary: string; when: string }> = {
  'connection.created': {
    body: 'ConnectionEventWebhook',
    summary: 'A connection was made',
    when: 'A browser flow or an import created a connection.',
  },
  'connection.reconnected': {
    body: 'ConnectionEventWebhook',
    summary: 'A connection was made again',
    when: 'The same (provider, owner, account) was connected or imported again.',
  },
  'connection.needs_reauth': {
    body: 'ConnectionEventWebhook',
    summary: 'A connection needs its user to connect again',
    when: 'The status became `needs_reauth`: the user must connect again (`data.error` says why).',
  },
  'connection.refresh_failed': {
    body: 'ConnectionEventWebhook',
    summary: "A connection's refreshes keep failing",
    when: 'The status became `refresh_failed` (`data.error` says why).',
  },
  'connection.revoked': {
    body: 'ConnectionEventWebhook',
    summary: 'The user uninstalled the app at the provider',
    when: 'The provider reported that the user uninstalled the app: the status became `revoked` and the tokens were deleted (`data.revokedAt`, `data.error.code` `uninstalled`).',
  },
  'connection.deleted': {
    body: 'ConnectionEventWebhook',
    summary: 'A connection was deleted',
    when: '`DELETE /connections/{id}` deleted the connection.',
  },
  'provider.event': {
    body: 'ProviderEventWebhook',
    summary: "A provider's own event",
    when: "A provider's own event (an order, a form submission, an uninstall…), proven and stored once, for a subscription's connection or an app-level delivery (docs/events.md).",
  },
};

/** Event types of a body schema, in WEBHOOK_EVENTS order. */
const typesOf = (body: Body): WebhookEvent[] => WEBHOOK_EVENTS.filter((e) => WEBHOOK_EVENT_DOCS[e].body === body);

/** What `signWebhook` signs (`${id}.${timestamp}.${body}`): one `v1,<base64 of 32 bytes>` per secret. */
const SIGNATURE_PATTERN = '^v1,[A-Za-z0-9+/]{43}=( v1,[A-Za-z0-9+/]{43}=)*$';
/**
 * WEBHOOK_SECRET may list any number of secrets; 16 KiB is what a Node receiver takes of a request's
 * head by default (about 340 signatures), the bound a receiver can rely on.
 */
const SIGNATURE_MAX_LENGTH = 16 * 1024;

const HEADERS: Components['parameters'] = {
  WebhookId: {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description:
      'The delivery, `msg_<delivery id>`: the same on every retry of one event, so a receiver drops duplicates by it (GET /webhook-deliveries lists the delivery id).',
    schema: {
      type: 'string',
      pattern: '^msg_[0-9a-f-]{36}$',
      maxLength: 40,
      example: 'msg_1f0e2b7c-3c1a-4d5e-9f60-7a8b9c0d1e2f',
    },
  },
  WebhookTimestamp: {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description:
      'Unix seconds of this attempt (signed): reject one more than a few minutes from your clock, to stop replays.',
    schema: { type: 'string', pattern: '^[0-9]{1,12}$', maxLength: 12, example: '1796530800' },
  },
  WebhookSignature: {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the bytes of a WEBHOOK_SECRET after `whsec_`; one per configured secret, space-separated (rotation). Verify against the raw body before parsing it (docs/operations.md "Verifying a webhook").',
    schema: {
      type: 'string',
      pattern: SIGNATURE_PATTERN,
      maxLength: SIGNATURE_MAX_LENGTH,
      example: 'v1,g/hd0o453OQIVDTSNxWrSlxsf4TCs0j4M7m5ZuBW0Rk=',
    },
  },
};

const TIMESTAMP: SchemaObject = {
  ...DATE_TIME_SCHEMA,
  description: 'When the event happened (the change was committed, or the provider event arrived)',
};

/**
 * The bodies, as schemas rather than DTO classes: they are no route's request or response, and Nest's
 * Swagger module cannot describe `payload` (any JSON value; it writes `type: object` for `unknown`).
 * Written like the rest of the document (3.0's `nullable`, which toOpenApi31 turns into 3.1). Objects
 * stay open: a receiver should accept fields added later.
 */
const SCHEMAS: Record<string, SchemaObject> = {
  ConnectionEventWebhook: {
    type: 'object',
    description: 'The body of the `connection.*` webhooks: who and what, never a token.',
    properties: {
      type: { type: 'string', enum: typesOf('ConnectionEventWebhook') },
      timestamp: TIMESTAMP,
      data: { $ref: '#/components/schemas/ConnectionEventData' },
    },
    required: ['type', 'timestamp', 'data'],
  },
  ConnectionEventData: {
    type: 'object',
    properties: {
      connectionId: UUID_SCHEMA,
      provider: { ...PROVIDER_NAME_SCHEMA, example: 'keap' },
      ownerId: { type: 'string', maxLength: ID_MAX_LENGTH, example: 'user_42' },
      accountId: { type: 'string', maxLength: ID_MAX_LENGTH, example: 'ab123' },
      status: { $ref: '#/components/schemas/ConnectionStatus' },
      error: { $ref: '#/components/schemas/ConnectionEventError' },
      revokedAt: {
        ...DATE_TIME_SCHEMA,
        description: 'When the provider reported the uninstall; only while the connection is `revoked`',
      },
    },
    required: ['connectionId', 'provider', 'ownerId', 'accountId', 'status'],
  },
  ConnectionEventError: {
    type: 'object',
    description:
      "The connection's last error, on status changes (`needs_reauth`, `refresh_failed`, `revoked`) and deletes of a connection that has one",
    properties: {
      // The same values as Connection.lastError (ConnectionError), without `at`.
      code: { type: 'string', maxLength: 64, example: 'invalid_grant' },
      message: { type: 'string', maxLength: 1024, example: 'Token endpoint answered 400 invalid_grant' },
    },
    required: ['code', 'message'],
  },
  ProviderEventWebhook: {
    type: 'object',
    description: "The body of the `provider.event` webhook: a provider's event, tied to its connection.",
    properties: {
      type: { type: 'string', enum: typesOf('ProviderEventWebhook') },
      timestamp: TIMESTAMP,
      data: { $ref: '#/components/schemas/ProviderEventData' },
    },
    required: ['type', 'timestamp', 'data'],
  },
  ProviderEventData: {
    type: 'object',
    properties: {
      connectionId: {
        ...UUID_SCHEMA,
        nullable: true,
        description: "The subscription's connection; null for an app-level event whose account matches no connection",
      },
      ownerId: {
        type: 'string',
        maxLength: ID_MAX_LENGTH,
        nullable: true,
        description: "The connection's owner; null with it",
      },
      provider: { ...PROVIDER_NAME_SCHEMA, example: 'webflow' },
      subscriptionId: {
        ...UUID_SCHEMA,
        nullable: true,
        description:
          'The subscription whose URL received it (POST /connections/{id}/subscriptions); null for app-level events',
      },
      event: {
        type: 'string',
        // inbound-events.service.ts cuts a provider's event name to 100 characters.
        maxLength: 100,
        description:
          "The provider's event name (`GET /providers` lists them); `unknown` when the delivery does not say",
        example: 'form_submission',
      },
      eventId: {
        type: 'string',
        maxLength: ID_MAX_LENGTH,
        nullable: true,
        description: "The provider's own id of the event, where it sends one",
      },
      receivedAt: { ...DATE_TIME_SCHEMA, description: 'When the service received it' },
      payload: {
        description:
          "The provider's JSON as received (parsed and written again: whitespace and key order may differ). Any JSON value, in practice an object; from a body of at most EVENTS_MAX_BODY_BYTES (1 MB by default, at most 10 MB), nested at most 64 levels.",
        example: { triggerType: 'form_submission', payload: { siteId: '65f0c0ffee' } },
      },
    },
    required: ['connectionId', 'ownerId', 'provider', 'subscriptionId', 'event', 'eventId', 'receivedAt', 'payload'],
  },
};

/** `connection.needs_reauth` → `connectionNeedsReauthWebhook`. */
const operationIdOf = (event: string) => `${event.replace(/[._]([a-z])/g, (_, c: string) => c.toUpperCase())}Webhook`;

function operation(event: WebhookEvent): OperationObject {
  const { body, summary, when } = WEBHOOK_EVENT_DOCS[event];
  return {
    operationId: operationIdOf(event),
    tags: ['webhooks'],
    summary,
    description: [
      when,
      'POSTed to WEBHOOK_URL with Standard Webhooks headers, signed with each WEBHOOK_SECRET. Delivery is at least once and not ordered: be idempotent on `webhook-id`.',
    ].join('\n\n'),
    // The receiver proves the sender by the signature, not by an HTTP authentication scheme.
    security: [],
    parameters: ['WebhookId', 'WebhookTimestamp', 'WebhookSignature'].map((name) => ({
      $ref: `#/components/parameters/${name}`,
    })),
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${body}` } } },
    },
    responses: {
      '2XX': { description: 'Delivered: this event is not sent again' },
      default: {
        description:
          'Any other answer, or none within HTTP_TIMEOUT_MS: retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS, then `failed` (POST /webhook-deliveries/{id}/redeliver sends it again)',
      },
    },
  };
}

/**
 * The outbound webhooks in the OpenAPI document (`webhooks`, OpenAPI 3.1), one per event type the
 * service sends, so generated clients get the bodies' types: adds the bodies' schemas and the
 * Standard Webhooks header parameters to the document's components.
 */
export function addWebhooks(document: OpenAPIObject): void {
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...SCHEMAS },
    parameters: { ...document.components?.parameters, ...HEADERS },
  };
  document.webhooks = Object.fromEntries(WEBHOOK_EVENTS.map((event) => [event, { post: operation(event) }]));
}
