import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import { DomainError } from '../../common/errors';
import type { Connection } from '../../connections/connection.dto';
import { InboundEventsRepository } from '../../provider-events/inbound-events.repository';
import { SubscriptionsService } from '../../provider-events/subscriptions.service';
import { ProviderCatalog } from '../../providers/core/provider-catalog';
import { loadConsoleConfig } from '../../console/console.config';
import { webhooksConfig } from '../../webhooks/webhooks.config';
import { SandboxWebhooksService } from '../sandbox/sandbox-webhooks.service';
import { simulatorFor } from '../sandbox/simulators/registry';
import { shownJson } from './api-answer';
import type { ConnectionEvents, EventsActionResult } from './dev-page';

/** The page lists at most this many of a connection's latest inbound events. */
export const LATEST_EVENTS = 5;

/** A registered URL as the page may show it: the events route's token and any query hidden. */
export function shownUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '[hidden]';
  }
  // `/events/{provider}/{token}`: the token is all that proves a Keap delivery.
  const path = parsed.pathname.replace(/(\/events\/[^/]+\/)[^/]+$/, '$1[hidden]');
  return `${parsed.origin}${path}${parsed.search ? '?[hidden]' : ''}`;
}

/**
 * The development page's part of provider events (docs/events.md): Subscribe through the service's
 * own SubscriptionsService (what POST /connections/{id}/subscriptions runs, without an API key in the
 * browser), a test event from the provider's simulator (what POST /sandbox/{provider}/webhooks/test-event
 * runs), and per connection its subscriptions and latest inbound events: type, time and what became of
 * the forwarded `provider.event`, never a payload, URL token or secret.
 */
@Injectable()
export class DevEvents implements OnModuleInit {
  private subscriptions!: SubscriptionsService;
  private simulated!: SandboxWebhooksService;
  /** The console's list of outbound deliveries, where forwarded events can be followed; decided as app.module decides. */
  readonly deliveriesUrl = loadConsoleConfig().enabled ? '/admin/webhooks' : undefined;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly catalog: ProviderCatalog,
    private readonly inbound: InboundEventsRepository,
    @Inject(webhooksConfig.KEY) private readonly webhooks: ConfigType<typeof webhooksConfig>,
  ) {}

  onModuleInit(): void {
    // Neither module exports these (the subscriptions API's service, the simulators' webhook store):
    // the page runs the same code in-process, as it runs the proxy for "Call the API".
    this.subscriptions = this.moduleRef.get(SubscriptionsService, { strict: false });
    this.simulated = this.moduleRef.get(SandboxWebhooksService, { strict: false });
  }

  /** Whether forwarded events go anywhere (WEBHOOK_URL), for the page to say so. */
  get forwarding(): boolean {
    return Boolean(this.webhooks.url);
  }

  /**
   * The event names a subscription of the connection's provider may ask for, as GET /providers lists
   * them (the uninstall event last); empty when the service cannot register its webhooks.
   */
  namesFor(provider: string): string[] {
    const events = this.catalog.find(provider)?.events;
    if (!events?.subscribe || !events.unsubscribe) return [];
    return [...events.names, ...(events.uninstallEvent ? [events.uninstallEvent] : [])];
  }

  /** Whether the connection's provider is the sandbox's and its simulator sends events. */
  simulates(provider: string): boolean {
    return Boolean(this.catalog.find(provider)?.settings.sandbox && simulatorFor(provider)?.webhooks);
  }

  /** Subscribe: one event (the provider's first when none is named), the service's answer as the API gives it. */
  async subscribe(connection: Connection, event: string | undefined): Promise<EventsActionResult> {
    const events = event !== undefined ? [event] : this.namesFor(connection.provider).slice(0, 1);
    const result: EventsActionResult = {
      action: 'subscribe',
      connectionId: connection.id,
      provider: connection.provider,
      label: `POST /connections/${connection.id}/subscriptions ${JSON.stringify({ events })}`,
    };
    try {
      const created = await this.subscriptions.create(connection.id, events);
      return { ...result, status: 201, body: shownJson(created) };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { ...result, status: error.status, error: { code: error.code, message: error.message } };
    }
  }

  /**
   * Send a test event: the simulator posts one event, signed as its provider signs, to every webhook
   * the connection's account registered (each its own first event); `origin` is where the service
   * itself is reached (the URLs it registered are on PUBLIC_URL).
   */
  async sendTestEvent(connection: Connection, origin: string): Promise<EventsActionResult> {
    const request = { accountId: connection.accountId };
    const result: EventsActionResult = {
      action: 'test-event',
      connectionId: connection.id,
      provider: connection.provider,
      label: `POST /sandbox/${connection.provider}/webhooks/test-event ${JSON.stringify(request)}`,
    };
    const simulator = simulatorFor(connection.provider);
    if (!simulator?.webhooks || !this.simulates(connection.provider)) {
      const message = 'No simulator of this provider sends events (sandbox providers with webhooks only)';
      return { ...result, error: { code: 'no_test_event', message } };
    }
    const deliveries = await this.simulated.sendEvent(simulator, request, origin);
    const answer = { event: null, deliveries: deliveries.map((d) => ({ ...d, url: shownUrl(d.url) })) };
    return { ...result, status: 200, body: shownJson(answer), nothingSent: deliveries.length === 0 };
  }

  /** What the page shows of each connection's events; absent for connections whose provider has none. */
  async view(connections: Connection[]): Promise<Map<string, ConnectionEvents>> {
    const shown = connections
      .map((c) => ({ c, names: this.namesFor(c.provider), testEvent: this.simulates(c.provider) }))
      .filter(({ names, testEvent }) => names.length > 0 || testEvent);
    const entries = await Promise.all(
      shown.map(async ({ c, names, testEvent }): Promise<[string, ConnectionEvents]> => {
        const [subscriptions, latest] = await Promise.all([
          this.subscriptions.list(c.id).catch((error: unknown) => {
            // Deleted since the list was read: nothing to show.
            if (error instanceof DomainError && error.status === 404) return [];
            throw error;
          }),
          // Names, times and delivery states only: the payload is in the outbound delivery, not read here.
          this.inbound.latestEventsOfConnection(c.id, LATEST_EVENTS),
        ]);
        return [
          c.id,
          {
            names,
            testEvent,
            subscriptions: subscriptions.map(({ id, events, status }) => ({ id, events, status })),
            latest: latest.map((e) => ({
              type: e.eventType,
              receivedAt: e.receivedAt.toISOString(),
              forwarded: e.deliveryId !== null,
              delivery: e.deliveryStatus,
            })),
          },
        ];
      }),
    );
    return new Map(entries);
  }
}
