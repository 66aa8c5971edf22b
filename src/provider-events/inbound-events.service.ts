import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import { MetricsService } from '../metrics/metrics.service';
import { ConnectionActivity } from '../activity/connection-activity';
import { createHash, randomUUID } from 'node:crypto';
import { DomainError } from '../common/errors';
import { hasUnstorableText } from '../common/validation';
import { ConnectionLifecycleRepository } from '../connections/persistence/connection-lifecycle.repository';
import { ConnectionsRepository } from '../connections/persistence/connections.repository';
import { DecryptionError, TokenCipher } from '../crypto/token-cipher';
import { hashSecret } from '../crypto/secret-hash';
import { nestedDeeperThan, JSON_MAX_DEPTH } from '../http/body-parsers';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { OAuthProvider } from '../providers/core/provider';
import { DescribedEvent, InboundDelivery, ProofKeys, ProviderEvents } from '../providers/core/provider-events';
import { WebhookDeliveriesRepository } from '../webhooks/webhook-deliveries.repository';
import { webhooksConfig } from '../webhooks/webhooks.config';
import { EventSubscriptionEntity } from './event-subscription.entity';
import { InboundEventsRepository } from './inbound-events.repository';
import { providerEventsConfig } from './provider-events.config';
import { subscriptionSecretContext } from './subscription-context';
import { activeSpan, withSpan } from '../telemetry/spans';

/** The fields of a delivery's log line that its span carries too, and their attribute names. */
const SPAN_FIELDS = [
  ['subscriptionId', 'subscription.id'],
  ['connectionId', 'connection.id'],
  ['event', 'event.type'],
] as const;

/** What a genuine delivery became. */
export type InboundOutcome = 'forwarded' | 'stored' | 'duplicate' | 'handshake' | 'unmatched';

export interface Receipt {
  outcome: InboundOutcome;
  /** Headers of the 200 answer (Keap's handshake echoes its secret). */
  headers: Record<string, string>;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The provider's strings cut to what is stored and logged (an event name or id of any length is not a 500). */
function bounded(event: DescribedEvent): DescribedEvent {
  return {
    ...event,
    type: event.type.slice(0, 100),
    eventId: event.eventId?.slice(0, 255),
    accountRef: event.accountRef?.slice(0, 255),
  };
}

/** What a delivery URL names. */
export interface EventsTarget {
  provider: OAuthProvider;
  events: ProviderEvents;
  subscription: EventSubscriptionEntity | null;
}

/** A subscription's URL token: 32 random bytes, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

// Unknown provider, unknown token, a route without events: one answer, so a probe learns nothing.
const notFound = () => new DomainError('not_found', 404, 'Nothing receives events here');
const refused = (reason: 'invalid_signature' | 'event_too_old') =>
  new DomainError(
    reason,
    401,
    reason === 'invalid_signature'
      ? 'The delivery is not signed by the provider'
      : "The delivery's timestamp is outside the provider's tolerance",
  );
const unreadable = () =>
  new DomainError('invalid_json', 400, 'The event is not a JSON document this service can store');

/**
 * Inbound provider events (docs/events.md): finds the subscription a delivery URL names, has the
 * provider prove and describe the delivery, and stores it once (by the provider's event id, or the
 * SHA-256 of the signed bytes), queuing its `provider.event` delivery in the same transaction. A
 * provider's retry is answered like the first delivery and forwarded never twice.
 */
@Injectable()
export class InboundEventsService {
  private readonly logger = new Logger('ProviderEvents');
  private readonly checkedBeforeBody = new WeakMap<object, EventsTarget>();

  constructor(
    private readonly catalog: ProviderCatalog,
    private readonly repo: InboundEventsRepository,
    private readonly connections: ConnectionsRepository,
    private readonly lifecycle: ConnectionLifecycleRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly cipher: TokenCipher,
    private readonly metrics: MetricsService,
    private readonly activity: ConnectionActivity,
    @Inject(webhooksConfig.KEY) private readonly webhooks: ConfigType<typeof webhooksConfig>,
    @Inject(providerEventsConfig.KEY) private readonly config: ConfigType<typeof providerEventsConfig>,
  ) {}

  /**
   * What a delivery URL names: its provider (with events) and subscription (none on the app-level
   * route), or 404 not_found, one answer for an unknown provider, a provider without events, an unknown
   * or malformed token, and an app-level route the provider does not post to. Run before the body is
   * read (EventsRouteGuard) and again with it.
   */
  async target(providerName: string, token: string | undefined, request?: object): Promise<EventsTarget> {
    const provider = this.catalog.find(providerName.toLowerCase());
    const events = provider?.events;
    if (!provider || !events) {
      // Never the name from the URL as a label: anyone could make up new series.
      this.log('unknown', 'not_found', {});
      throw notFound();
    }
    if (token === undefined) {
      if (events.appLevel) return this.found(request, { provider, events, subscription: null });
      this.log(provider.name, 'not_found', {});
      throw notFound();
    }
    // Hashed and looked up whatever its shape, so a malformed token is no faster to refuse.
    const hash = hashSecret(token);
    const subscription = await this.repo.findSubscriptionByToken(provider.name, hash);
    if (!subscription || !TOKEN.test(token)) {
      this.log(provider.name, 'not_found', {});
      throw notFound();
    }
    return this.found(request, { provider, events, subscription });
  }

  /** Kept for the request it was found for: the route reads it after the body instead of querying again. */
  private found(request: object | undefined, target: EventsTarget): EventsTarget {
    if (request) this.checkedBeforeBody.set(request, target);
    return target;
  }

  /** One delivery to `/events/{provider}/{token}` (token given) or `/events/{provider}` (app-level). */
  receive(
    providerName: string,
    token: string | undefined,
    delivery: InboundDelivery,
    request?: object,
  ): Promise<Receipt> {
    // An `inbound_event` span: its outcome is the receipt's or the refusal's code; log() adds who and what.
    return withSpan(
      'inbound_event',
      {},
      () => this.receiveDelivery(providerName, token, delivery, request),
      (receipt) => receipt && { outcome: receipt.outcome },
    );
  }

  private async receiveDelivery(
    providerName: string,
    token: string | undefined,
    delivery: InboundDelivery,
    request?: object,
  ): Promise<Receipt> {
    // Found before the body was read (EventsRouteGuard), as long ago as the upload took. A subscription
    // deleted meanwhile (not its connection) still has this one delivery stored and forwarded: what a
    // delivery that arrived just before the DELETE would have had.
    const { provider, events, subscription } =
      (request && this.checkedBeforeBody.get(request)) ?? (await this.target(providerName, token));

    const handshake = subscription ? events.handshake?.(delivery) : undefined;
    if (handshake && subscription) {
      await this.repo.markVerified(subscription.id);
      this.log(provider.name, 'handshake', { subscriptionId: subscription.id });
      return { outcome: 'handshake', headers: handshake };
    }

    // The keys of the route it came to: a subscription's deliveries are never proven with the app's
    // app-level secret, nor app-level ones with a subscription's.
    let subscriptionSecret: string | undefined;
    try {
      subscriptionSecret = subscription?.secret
        ? this.cipher.decrypt(subscription.secret, subscriptionSecretContext(subscription.id))
        : undefined;
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      // Its key was removed before keys:rotate re-encrypted it: nothing can prove this delivery.
      this.logger.error(
        { subscriptionId: subscription?.id },
        'subscription secret cannot be decrypted; run keys:rotate',
      );
      this.log(provider.name, 'invalid_signature', { subscriptionId: subscription?.id ?? null });
      throw refused('invalid_signature');
    }
    const keys: ProofKeys = subscription
      ? { subscriptionSecret, clientSecret: provider.settings.clientSecret }
      : { clientSecret: provider.settings.clientSecret, appSecret: events.appSecret?.(provider.settings) };
    const proof = events.prove(delivery, keys);
    if (!proof.ok) {
      this.log(provider.name, proof.reason, { subscriptionId: subscription?.id ?? null });
      throw refused(proof.reason);
    }

    const text = delivery.body.toString('utf8');
    let payload: unknown;
    try {
      if (nestedDeeperThan(text, JSON_MAX_DEPTH)) throw unreadable();
      payload = JSON.parse(text);
    } catch {
      throw unreadable();
    }
    // Postgres jsonb holds neither an unpaired surrogate nor U+0000 (a 500 otherwise).
    if (hasUnstorableText(payload)) throw unreadable();
    let described = bounded(events.describe(delivery, payload));
    // A provider that does not say which event a delivery is (Lightfunnels: every body is `{node}`) is
    // subscribed one event per URL: the subscription says it.
    if (described.type === 'unknown' && subscription?.events.length === 1) {
      const [only] = subscription.events;
      described = { ...described, type: only, uninstall: only === events.uninstallEvent };
    }

    // A subscription's deliveries are its connection's; an app-level one names the account, which
    // several owners may have connected: an uninstall ends them all, the event goes with the newest.
    const connections = subscription
      ? [await this.connections.findById(subscription.connectionId)].filter((c) => c !== null)
      : described.accountRef
        ? await this.connections.findAllByAccount(provider.name, described.accountRef)
        : [];
    const connection = connections[0] ?? null;
    if (subscription && !connection) {
      // The connection was deleted (its webhooks are unregistered later): nobody receives this any more.
      this.log(provider.name, 'not_found', { subscriptionId: subscription.id });
      throw notFound();
    }
    // Per subscription (or the app-level route): the same bytes to two owners' URLs are two events.
    const scope = subscription?.id ?? 'app';
    const dedupeKey = described.eventId
      ? `${scope}:id:${described.eventId.length <= 200 ? described.eventId : sha256(described.eventId)}`
      : `${scope}:sha256:${sha256(delivery.body)}`;
    const receivedAt = delivery.receivedAt;
    const deliveryId = this.webhooks.url ? randomUUID() : null;
    const recorded = await this.repo.recordOnce(
      {
        provider: provider.name,
        dedupeKey,
        subscriptionId: subscription?.id ?? null,
        connectionId: connection?.id ?? null,
        eventType: described.type,
        eventId: described.eventId ?? null,
        receivedAt,
      },
      deliveryId,
      async (tx) => {
        if (connection) await this.activity.recordInboundEvent(tx, connection.id, described.type);
        if (described.uninstall)
          for (const c of connections) await this.lifecycle.markRevokedByProvider(c.id, receivedAt, described.type, tx);
        if (!deliveryId) return;
        await this.deliveries.enqueue(
          tx,
          {
            id: deliveryId,
            eventType: 'provider.event',
            connectionId: connection?.id ?? null,
            payload: {
              type: 'provider.event',
              timestamp: receivedAt.toISOString(),
              data: {
                connectionId: connection?.id ?? null,
                ownerId: connection?.ownerId ?? null,
                provider: provider.name,
                subscriptionId: subscription?.id ?? null,
                event: described.type,
                eventId: described.eventId ?? null,
                receivedAt: receivedAt.toISOString(),
                payload,
              },
            },
          },
          receivedAt,
        );
      },
    );
    // An uninstall again after a reconnect may repeat its body exactly (Lightfunnels' `{node: {id}}`):
    // revoking is idempotent, so a repeat still revokes what a reconnect revived.
    if (!recorded && described.uninstall)
      for (const c of connections) await this.lifecycle.markRevokedByProvider(c.id, receivedAt, described.type);
    const outcome: InboundOutcome = !recorded
      ? 'duplicate'
      : !connection && !subscription
        ? 'unmatched'
        : this.webhooks.url
          ? 'forwarded'
          : 'stored';
    this.log(provider.name, outcome, {
      subscriptionId: subscription?.id ?? null,
      connectionId: connection?.id ?? null,
      event: described.type,
      ...(described.uninstall && recorded && { revoked: connections.map((c) => c.id) }),
    });
    return { outcome, headers: {} };
  }

  /** One line and one count per delivery: who and what, never the payload or a header value. */
  private log(provider: string, outcome: string, fields: Record<string, unknown>): void {
    this.metrics.inboundEvents.inc({ provider, outcome });
    // The same on the active span (the inbound_event span, or the request's before the body is read).
    const span = activeSpan();
    span.setAttribute('provider', provider);
    for (const [field, attribute] of SPAN_FIELDS) {
      const value = fields[field];
      if (typeof value === 'string') span.setAttribute(attribute, value);
    }
    this.logger.log({ inboundEvent: { provider, outcome, ...fields } }, 'provider event');
  }

  /** Events whose dedupe window (EVENTS_DEDUPE_HOURS) is over are forgotten, hourly. */
  @Cron(CronExpression.EVERY_HOUR)
  async purge(now = new Date()): Promise<number> {
    const purged = await this.repo.purgeReceivedBefore(new Date(now.getTime() - this.config.dedupeHours * 3_600_000));
    if (purged) this.logger.log({ purged }, 'purged inbound events past their dedupe window');
    return purged;
  }
}
