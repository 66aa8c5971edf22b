import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ConnectionNotFound,
  ConnectionRevoked,
  DomainError,
  EventsNotSupported,
  SubscriptionNotFound,
  ValidationFailed,
} from '../common/errors';
import { appConfig } from '../config/app.config';
import { ConnectionStatus } from '../connections/connection-status';
import { ConnectionEntity } from '../connections/connection.entity';
import { ConnectionsRepository } from '../connections/persistence/connections.repository';
import { hashSecret } from '../crypto/secret-hash';
import { TokenCipher } from '../crypto/token-cipher';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { ProviderError } from '../providers/core/provider-errors';
import {
  EventRegistration,
  ProviderEvents,
  Registration,
  SubscriptionConnection,
  SubscriptionRefused,
} from '../providers/core/provider-events';
import { OAuthProvider } from '../providers/core/provider';
import { CredentialsService } from '../token-lifecycle/credentials.service';
import { EventSubscriptionEntity } from './event-subscription.entity';
import { InboundEventsRepository } from './inbound-events.repository';
import { DeleteSubscriptionResponse, Subscription, SUBSCRIPTIONS_LIST_MAX_ITEMS } from './subscription.dto';
import { subscriptionSecretContext } from './subscription-context';

/** An event name as it may be repeated in an error message; anything else is not echoed. */
const PRINTABLE_NAME = /^[A-Za-z0-9_./:-]{1,100}$/;

export function toSubscriptionDto(row: EventSubscriptionEntity): Subscription {
  return {
    id: row.id,
    connectionId: row.connectionId,
    provider: row.provider,
    events: row.events,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
  };
}

const isRevoked = (c: Pick<ConnectionEntity, 'status' | 'accessToken'>) =>
  c.status === ConnectionStatus.Revoked || c.accessToken === null;

/**
 * Subscriptions (docs/events.md "Subscribing"): registers `{PUBLIC_URL}/events/{provider}/{token}` at
 * the provider with the connection's token, and removes it. The row is written before the provider
 * is called and completed after, so the service knows every URL it ever registered; a registration
 * whose row cannot be completed is unregistered again (best effort).
 */
@Injectable()
export class SubscriptionsService {
  private readonly logger = new Logger('Subscriptions');

  constructor(
    private readonly catalog: ProviderCatalog,
    private readonly repo: InboundEventsRepository,
    private readonly connections: ConnectionsRepository,
    private readonly credentials: CredentialsService,
    private readonly cipher: TokenCipher,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async create(connectionId: string, requested: string[]): Promise<Subscription> {
    const connection = await this.connections.findById(connectionId);
    if (!connection) throw new ConnectionNotFound(connectionId);
    if (isRevoked(connection)) throw new ConnectionRevoked(connectionId);
    const provider = this.catalog.find(connection.provider);
    const registration = provider && registrationOf(provider.events);
    if (!provider || !registration)
      throw new EventsNotSupported(
        `Provider "${connection.provider}" has no webhooks this service can register (docs/events.md)`,
      );
    const events = this.validEvents(provider, registration, requested);

    // 409 needs_reauth / revoked, 502, 429, 503 as the credentials route answers them.
    const { accessToken } = await this.credentials.usableToken(connectionId, false);
    const id = randomUUID();
    const token = randomBytes(32).toString('base64url');
    await this.repo.insertPendingSubscription({
      id,
      connectionId,
      provider: provider.name,
      events,
      tokenHash: hashSecret(token),
    });
    const target = this.target(provider, connection);
    let registered: Registration;
    try {
      registered = await registration.subscribe({
        accessToken,
        connection: target,
        url: `${this.app.publicUrl}/events/${provider.name}/${token}`,
        events,
        subscriptionId: id,
      });
    } catch (error) {
      await this.forget(id);
      throw registrationFailed(error);
    }

    try {
      const saved = await this.repo.completeSubscription(id, {
        remoteIds: registered.remoteIds,
        secret: registered.secret ? this.cipher.encrypt(registered.secret, subscriptionSecretContext(id)) : null,
        status: registered.status,
      });
      if (!saved) throw new Error('the subscription row disappeared during its registration');
      this.logger.log(
        { subscription: { id, connectionId, provider: provider.name, events, status: saved.status } },
        'subscribed',
      );
      return toSubscriptionDto(saved);
    } catch (error) {
      // Registered at the provider but not known here: take it back rather than leave it unknown.
      await registration
        .unsubscribe({ accessToken, connection: target, remoteIds: registered.remoteIds })
        .catch((undo: unknown) =>
          this.logger.warn(
            { subscriptionId: id, connectionId, provider: provider.name, error: describe(undo) },
            'a registration whose row could not be completed could not be removed at the provider',
          ),
        );
      await this.forget(id);
      throw error;
    }
  }

  async list(connectionId: string): Promise<Subscription[]> {
    if (!(await this.connections.findById(connectionId))) throw new ConnectionNotFound(connectionId);
    const rows = await this.repo.listSubscriptionsOfConnection(connectionId, SUBSCRIPTIONS_LIST_MAX_ITEMS);
    return rows.map(toSubscriptionDto);
  }

  /**
   * Unregisters at the provider, then deletes the row; when the provider fails the row stays (retry
   * the DELETE). A revoked connection has no token to call with: the row alone is deleted.
   */
  async delete(connectionId: string, id: string): Promise<DeleteSubscriptionResponse> {
    const connection = await this.connections.findById(connectionId);
    if (!connection) throw new ConnectionNotFound(connectionId);
    const subscription = await this.repo.findSubscriptionOfConnection(connectionId, id);
    if (!subscription) throw new SubscriptionNotFound(connectionId, id);
    const provider = this.catalog.find(subscription.provider);
    const registration = provider && registrationOf(provider.events);
    let removedAtProvider = false;
    if (provider && registration && !isRevoked(connection) && subscription.remoteIds.length) {
      const { accessToken } = await this.credentials.usableToken(connectionId, false);
      try {
        await registration.unsubscribe({
          accessToken,
          connection: this.target(provider, connection),
          remoteIds: subscription.remoteIds,
        });
      } catch (error) {
        throw registrationFailed(error);
      }
      removedAtProvider = true;
    }
    await this.repo.deleteSubscription(id);
    this.logger.log(
      { subscription: { id, connectionId, provider: subscription.provider, removedAtProvider } },
      'unsubscribed',
    );
    return { id, removedAtProvider };
  }

  /** The requested names, once each, all of them the provider's; one only where the provider needs it. */
  private validEvents(provider: OAuthProvider, registration: EventRegistration, requested: string[]): string[] {
    const events = [...new Set(requested)];
    const known = new Set<string>(provider.events!.names);
    if (provider.events!.uninstallEvent) known.add(provider.events!.uninstallEvent);
    const unknown = events.filter((name) => !known.has(name));
    if (unknown.length) {
      const named = unknown.slice(0, 5).map((name) => (PRINTABLE_NAME.test(name) ? `"${name}"` : 'a name not shown'));
      throw new ValidationFailed(
        `events: ${named.join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''} ${
          unknown.length === 1 ? 'is not an event' : 'are not events'
        } of ${provider.name} (GET /providers lists them)`,
      );
    }
    if (registration.oneEventPerSubscription && events.length !== 1)
      throw new ValidationFailed(
        `events: a ${provider.name} subscription takes exactly one event (its deliveries do not say which event they are): create one subscription per event`,
      );
    return events;
  }

  private target(provider: OAuthProvider, connection: ConnectionEntity): SubscriptionConnection {
    return {
      apiBase: provider.apiBaseFor(connection.apiBaseUrl),
      accountId: connection.accountId,
      workspaceId: connection.workspaceId,
    };
  }

  private async forget(id: string): Promise<void> {
    await this.repo
      .deleteSubscription(id)
      .catch((error: unknown) =>
        this.logger.warn(
          { subscriptionId: id, error: describe(error) },
          'could not delete an unregistered subscription',
        ),
      );
  }
}

function registrationOf(events: ProviderEvents | undefined): EventRegistration | undefined {
  if (!events?.subscribe || !events.unsubscribe) return undefined;
  return events as EventRegistration;
}

/** A provider's refusal or failure as the API answers it. */
function registrationFailed(error: unknown): unknown {
  if (error instanceof SubscriptionRefused)
    return error.reason === 'duplicate'
      ? new DomainError('event_already_subscribed', 409, error.message)
      : new EventsNotSupported(error.message);
  if (error instanceof ProviderError)
    return new DomainError(
      'provider_unavailable',
      502,
      `The provider could not be reached or refused the webhook registration: ${error.kind}`,
      error.retryAfterMs !== undefined
        ? { 'Retry-After': String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) }
        : {},
    );
  return error;
}

const describe = (error: unknown) =>
  error instanceof ProviderError ? `${error.kind}: ${error.message}` : error instanceof Error ? error.name : 'unknown';
