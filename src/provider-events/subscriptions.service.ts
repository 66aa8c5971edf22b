import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
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
import { ConnectionActivity } from '../activity/connection-activity';
import { backoffDelay } from '../common/backoff';
import { forEachLimited } from '../common/concurrency';
import { appConfig } from '../config/app.config';
import { Connected, ConnectionHooks, PreparedDeletion } from '../connections/connection-hooks';
import { ConnectionStatus } from '../connections/connection-status';
import { ConnectionEntity } from '../connections/connection.entity';
import { ConnectionsRepository } from '../connections/persistence/connections.repository';
import { MetricsService } from '../metrics/metrics.service';
import { tokenContext } from '../connections/token-context';
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
import { providerEventsConfig } from './provider-events.config';
import { QueuedRemoval, SubscriptionRemovalsRepository } from './subscription-removals.repository';
import { unregister } from './unregister';
import { DeleteSubscriptionResponse, Subscription, SUBSCRIPTIONS_LIST_MAX_ITEMS } from './subscription.dto';
import { subscriptionSecretContext } from './subscription-context';

/** Unregistration failures that say the provider is not answering: the DELETE stops calling it. */
const TRANSPORT_FAILURES = new Set(['timeout', 'network', 'unavailable', 'rate_limited']);

/** An event name as it may be repeated in an error message; anything else is not echoed. */
const PRINTABLE_NAME = /^[A-Za-z0-9_./:-]{1,100}$/;

export function toSubscriptionDto(row: EventSubscriptionEntity): Subscription {
  return {
    id: row.id,
    connectionId: row.connectionId,
    provider: row.provider,
    events: row.events,
    // Only a deleted connection's rows are `removing`, and a deleted connection lists nothing.
    status: row.status as Subscription['status'],
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
export class SubscriptionsService implements OnModuleInit {
  private readonly logger = new Logger('Subscriptions');

  constructor(
    private readonly catalog: ProviderCatalog,
    private readonly repo: InboundEventsRepository,
    private readonly connections: ConnectionsRepository,
    private readonly credentials: CredentialsService,
    private readonly cipher: TokenCipher,
    private readonly removals: SubscriptionRemovalsRepository,
    private readonly hooks: ConnectionHooks,
    private readonly metrics: MetricsService,
    private readonly activity: ConnectionActivity,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(providerEventsConfig.KEY) private readonly config: ConfigType<typeof providerEventsConfig>,
  ) {}

  onModuleInit(): void {
    this.hooks.setDeletionHook({ prepareDelete: (connection) => this.prepareDelete(connection) });
    this.hooks.onConnected((connection, how) => this.subscribeUninstall(connection, how));
  }

  /**
   * After a browser flow connected an account: subscribes the provider's per-account uninstall event
   * where the provider needs one registered (Lightfunnels `app/uninstalled`, `<P>_SUBSCRIBE_UNINSTALL`),
   * unless the connection has one already. A connection the user had uninstalled (`revived`) gets a
   * new one: whether the provider kept the old registration through the uninstall is not documented,
   * so the old ones are unregistered first (a 404 counts as removed). A failure is logged; the
   * connection stands, and POST /connections/{id}/subscriptions can subscribe it later.
   */
  async subscribeUninstall(connection: ConnectionEntity, { revived }: Connected): Promise<void> {
    const provider = this.catalog.find(connection.provider);
    const events = provider?.events;
    const uninstall = events?.uninstallEvent;
    if (!provider || !events?.subscribeUninstallAtConnect || !uninstall || !registrationOf(events)) return;
    const existing = (
      await this.repo.listSubscriptionsOfConnection(connection.id, SUBSCRIPTIONS_LIST_MAX_ITEMS)
    ).filter((s) => s.events.includes(uninstall));
    // In flight or registered: a second one would forward every uninstall twice.
    if (existing.length && !revived) return;
    try {
      for (const old of existing) await this.delete(connection.id, old.id);
      await this.create(connection.id, [uninstall]);
    } catch (error) {
      this.logger.warn(
        { connectionId: connection.id, provider: provider.name, event: uninstall, error: describe(error) },
        'could not subscribe the uninstall event after connecting; POST /connections/{id}/subscriptions can',
      );
    }
  }

  /**
   * Before a connection is deleted (ConnectionHooks): unregisters its webhooks at the provider while its
   * token still works. What the provider could not remove now is queued (status `removing`, with the
   * token, in the delete's transaction) for the removal worker, and the token's revocation waits for it.
   * Once the provider fails to answer (down, timing out), the rest is queued without calling it, so a
   * provider that hangs holds the DELETE for one timeout, not one per subscription. Rows with nothing
   * registered, or whose connection has no usable token, are deleted with the connection; rows
   * registered while this ran (a subscribe racing the DELETE) are queued in the transaction.
   */
  async prepareDelete(connection: ConnectionEntity): Promise<PreparedDeletion> {
    const rows = await this.repo.listSubscriptionsOfConnection(connection.id, SUBSCRIPTIONS_LIST_MAX_ITEMS);
    const provider = this.catalog.find(connection.provider);
    const registered = provider ? rows.filter((row) => row.remoteIds.length > 0) : [];
    const accessToken = registered.length && !isRevoked(connection) ? await this.tokenForRemoval(connection) : null;
    const failed = new Map<string, string>();
    const handled = new Set(rows.map((row) => row.id));
    let removed = 0;
    let providerDown = false;
    if (provider && accessToken) {
      const target = this.target(provider, connection);
      await forEachLimited(registered, 4, async (row) => {
        if (providerDown) {
          failed.set(row.id, 'not_attempted');
          return;
        }
        const result = await unregister(provider, accessToken, target, row.remoteIds);
        this.metrics.subscriptionRemovals.inc({
          provider: provider.name,
          outcome: result.removed ? 'removed' : result.final ? 'given_up' : 'failed',
        });
        if (result.removed) {
          removed++;
          return;
        }
        if (TRANSPORT_FAILURES.has(result.error)) providerDown = true;
        this.logger.warn(
          { subscriptionId: row.id, connectionId: connection.id, provider: provider.name, error: result.error },
          result.final
            ? 'the provider refused the token: the deleted connection’s webhook cannot be unregistered'
            : 'could not unregister the deleted connection’s webhook; queued',
        );
        // A token the provider no longer accepts cannot remove it later either.
        if (!result.final) failed.set(row.id, result.error);
      });
    } else if (registered.length && !isRevoked(connection)) {
      this.logger.warn(
        { connectionId: connection.id, provider: connection.provider, subscriptions: registered.length },
        'no usable token to unregister the deleted connection’s webhooks; their URLs answer 404',
      );
    }
    const now = new Date();
    const retryAt = new Date(
      now.getTime() + backoffDelay(1, this.config.removal.retryBaseMs, this.config.removal.retryMaxMs),
    );
    return {
      holdRevocation: failed.size > 0,
      subscriptions: { removed, queued: failed.size },
      inTransaction: async (tx, row) => {
        const current = row.accessToken ? this.decryptStored(row) : null;
        const token = current ?? accessToken;
        const queued: QueuedRemoval[] = [];
        if (provider && token) {
          const target = this.target(provider, row);
          for (const [id, error] of failed)
            queued.push({
              id,
              accessToken: token,
              target,
              attempts: error === 'not_attempted' ? 0 : 1,
              lastError: error,
              nextAttemptAt: retryAt,
            });
          // Registered after the list above was read (a subscribe that raced this DELETE): due at once.
          for (const late of await this.removals.registeredOfConnection(tx, connection.id))
            if (!handled.has(late))
              queued.push({ id: late, accessToken: token, target, attempts: 0, lastError: null, nextAttemptAt: now });
        }
        await this.removals.enqueue(tx, queued);
        await this.removals.deleteOthersOfConnection(tx, connection.id);
      },
    };
  }

  /** The connection's token to unregister with: refreshed if it is due, else as stored; null when there is none. */
  private async tokenForRemoval(connection: ConnectionEntity): Promise<string | null> {
    try {
      return (await this.credentials.usableToken(connection.id, false)).accessToken;
    } catch {
      // needs_reauth, or the provider down for a refresh: the stored token may still be accepted.
      return this.decryptStored(connection);
    }
  }

  private decryptStored(connection: ConnectionEntity): string | null {
    try {
      return connection.accessToken
        ? this.cipher.decrypt(connection.accessToken, tokenContext(connection.id, 'access_token'))
        : null;
    } catch {
      return null;
    }
  }

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
    const inserted = await this.repo.insertPendingSubscription({
      id,
      connectionId,
      provider: provider.name,
      events,
      tokenHash: hashSecret(token),
    });
    // Deleted meanwhile: nothing registered, nothing left behind.
    if (!inserted) throw new ConnectionNotFound(connectionId);
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
      const saved = await this.repo.completeSubscription(
        id,
        {
          remoteIds: registered.remoteIds,
          secret: registered.secret ? this.cipher.encrypt(registered.secret, subscriptionSecretContext(id)) : null,
          status: registered.status,
        },
        (tx, row) => this.activity.recordSubscription(tx, 'subscription_created', row),
      );
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
    await this.repo.deleteSubscription(id, (tx) =>
      this.activity.recordSubscription(tx, 'subscription_removed', subscription),
    );
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
