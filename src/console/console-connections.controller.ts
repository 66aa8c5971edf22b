import { Inject, Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ConfigType } from '@nestjs/config';
import { tokenLifecycleConfig } from '../token-lifecycle/token-lifecycle.config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ActivityEntry } from '../activity/activity.dto';
import { ActivityService } from '../activity/activity.service';
import { Public } from '../auth/public.decorator';
import { DomainError, ERROR_CODES, ErrorCode } from '../common/errors';
import { ConnectSessionsService } from '../connect-sessions/connect-sessions.service';
import {
  CONNECTION_STATUSES,
  ConnectionStatus,
  needsUser,
  REFRESHABLE_STATUSES,
} from '../connections/connection-status';
import { Connection, DeleteConnectionResponse, ListConnectionsQuery } from '../connections/connection.dto';
import { ConnectionsService } from '../connections/connections.service';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { InboundEventsRepository, InboundEventWithDelivery } from '../provider-events/inbound-events.repository';
import { providerEventsConfig } from '../provider-events/provider-events.config';
import { CredentialsService } from '../token-lifecycle/credentials.service';
import { VerificationService } from '../token-lifecycle/verification.service';
import { ConsoleExceptionFilter } from './console.filter';
import { ShownDate, shownDate } from './console-dates';
import { ConsoleGuard } from './console.guard';
import { CONSOLE_PATH } from './console-session';
import { Flash, sendPage } from './console-views';

const FORM = { formBody: true } as const;
const PAGE_SIZE = 25;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LIST_PATH = `${CONSOLE_PATH}/connections`;
/** Subscriptions shown on a connection's page (the API lists up to 1,000; a page this long is rare). */
const SUBSCRIPTIONS_SHOWN = 100;
/** Inbound events shown on a connection's page: the newest, from ix_inbound_events_connection. */
const EVENTS_SHOWN = 20;
/** Activity entries read for a connection's timeline: the newest, from ix_connection_activity_connection. */
const ACTIVITY_SHOWN = 50;

/** The filters of the list, as the form names them; the labels name them in messages (fixed texts). */
const FILTER_LABELS: Record<string, string> = {
  provider: 'provider',
  status: 'status',
  ownerId: 'owner id',
  cursor: 'page link',
};

/** `?done=` after an action (Post/Redirect/Get): fixed codes, fixed texts. */
const DONE: Record<string, string> = {
  refreshed: 'Refreshed: the connection has a new access token.',
  verified: 'Verified: the provider accepts the connection’s access token.',
};

/** `?failed=<error code>`: a text of the console's own for the codes an action can end with. */
const FAILED: Partial<Record<ErrorCode, string>> = {
  refresh_not_supported: 'This connection has no refresh token: its provider issues tokens that do not expire.',
  connection_needs_reauth:
    'The provider no longer accepts this connection’s grant: only its user can fix it. Make a reconnect link and send it to them.',
  connection_revoked:
    'The user uninstalled the app at the provider and its tokens are deleted: only they can fix it. Make a reconnect link and send it to them.',
  provider_unavailable: 'The provider could not be reached or refused the call. Try again later.',
  rate_limited: 'The provider asked to slow down, or this provider’s refresh budget is used up. Try again shortly.',
  refresh_in_progress: 'Another replica is refreshing this connection right now. Reload in a moment.',
  verify_not_supported: 'This provider has no documented call to check a token with.',
  provider_not_configured: 'This connection’s provider is not configured on this service any more.',
};

const REVOCATION: Record<DeleteConnectionResponse['providerRevocation'], string> = {
  revoked: 'The provider revoked the connection’s tokens.',
  failed:
    'The provider could not be reached to revoke the tokens. The revocation is queued and retried in the background.',
  unsupported: 'This provider has no way to revoke tokens: they were deleted here only.',
  queued:
    'The connection’s webhooks could not all be unregistered at the provider yet. Their removal is retried in the background, and the tokens are revoked after it.',
};

/** A date-time of a page, as every console page shows it (console-dates.ts), relative to the page's `now`. */
const when = (at: Date | string | null, now = Date.now()): ShownDate | null => shownDate(at, { now });

/** A query or form field: a string (empty = not given), or whatever else came (refused by validation). */
function field(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A malformed id is as unknown as a missing one: the same 404 page, without echoing the id. */
function connectionId(id: string): string {
  if (!UUID.test(id)) throw new DomainError('connection_not_found', 404, 'There is no connection with this id.');
  return id.toLowerCase();
}

const connectionPath = (id: string) => `${LIST_PATH}/${id}`;

/**
 * What the page says about the delivery an event became: its status, or why there is none (no
 * WEBHOOK_URL when it arrived; a delivery purged after WEBHOOK_RETENTION_DAYS, which only a retention
 * shorter than EVENTS_DEDUPE_HOURS makes possible).
 */
function deliveryState(e: InboundEventWithDelivery): { text: string; status: string | null } {
  if (e.deliveryId === null) return { text: NOT_FORWARDED, status: null };
  if (e.deliveryStatus === null) return { text: PURGED, status: null };
  return { text: e.deliveryStatus, status: e.deliveryStatus };
}
const NOT_FORWARDED = 'not forwarded';
const PURGED = 'no longer kept';

/** What the timeline says each entry is (the console's own words; an entry holds no text of a provider's). */
const ACTIVITY_LABELS: Record<ActivityEntry['type'], string> = {
  connected: 'Connected',
  reconnected: 'Reconnected',
  refreshed: 'Refreshed',
  refresh_failed: 'Refresh failed',
  verified: 'Verified: the provider accepted the token',
  verify_failed: 'Verify failed',
  status_changed: 'Status changed',
  revoked: 'Revoked: the user uninstalled the app',
  subscription_created: 'Subscribed',
  subscription_removed: 'Unsubscribed',
  inbound_event: 'Event received',
  deleted: 'Deleted',
  proxy_calls: 'Proxy calls',
};

/** One line of the timeline: when, what, and its details (statuses, codes, event names, counts). */
export interface TimelineItem {
  type: ActivityEntry['type'];
  at: ShownDate;
  label: string;
  /** `previous → status`, where it changed. */
  change: string | null;
  /** Codes and event names, each shown as code. */
  codes: string[];
  /** Proxy calls: `2xx 42 · 4xx 3`, and the hour they were counted in. */
  calls: string | null;
  hour: string | null;
}

/**
 * The timeline of a connection, newest first, from its activity entries (as the API lists them): one
 * line per entry, except that the proxy-call counters of one hour (one per status class, adjacent in
 * the order) make one line.
 */
export function timeline(entries: ActivityEntry[], now: number): TimelineItem[] {
  const items: TimelineItem[] = [];
  for (const e of entries) {
    const previous = items[items.length - 1];
    const count = e.statusClass && e.calls !== null ? `${e.statusClass} ${e.calls}` : null;
    if (e.type === 'proxy_calls' && previous?.type === 'proxy_calls' && previous.at.iso === e.at) {
      // By class: `2xx 42 · 4xx 3` (the entries come in the order their counters were first written).
      previous.calls = [previous.calls, count].filter(Boolean).sort().join(' · ');
      continue;
    }
    const at = shownDate(e.at, { now })!;
    items.push({
      type: e.type,
      at,
      label: ACTIVITY_LABELS[e.type],
      change: e.previousStatus && e.status ? `${e.previousStatus} → ${e.status}` : null,
      codes: [...(e.code ? [e.code] : []), ...(e.events ?? [])],
      calls: count,
      hour:
        e.type === 'proxy_calls'
          ? `${at.text.slice(11, 16)}–${new Date(Date.parse(e.at) + 3_600_000).toISOString().slice(11, 16)} UTC`
          : null,
    });
  }
  return items;
}

/**
 * When the sweep will refresh `c` (the same rule as ConnectionStatsRepository.dueByHour and the sweep's
 * claim): its access token entering the lead time, or its refresh token the renewal window, whichever
 * comes first, but not before a backoff ends. Null when the sweep does not refresh it (no refresh token,
 * tokens that do not expire, a status the sweep skips, a provider not configured).
 */
function plannedRefresh(c: Connection, leadSeconds: number | undefined, renewBeforeMs: number): string | null {
  if (leadSeconds === undefined || !c.hasRefreshToken || !REFRESHABLE_STATUSES.includes(c.status)) return null;
  const candidates = [
    c.expiresAt ? Date.parse(c.expiresAt) - leadSeconds * 1000 : Infinity,
    c.refreshTokenExpiresAt ? Date.parse(c.refreshTokenExpiresAt) - renewBeforeMs : Infinity,
  ];
  const first = Math.min(...candidates);
  if (first === Infinity) return null;
  return new Date(Math.max(first, c.nextRefreshAt ? Date.parse(c.nextRefreshAt) : -Infinity)).toISOString();
}

/**
 * Connections: the list (filters, keyset pages), one connection (never a token), and what an operator
 * does with it: refresh now, verify, make a reconnect link, delete (revoking at the provider).
 */
@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleExceptionFilter)
@Controller('admin/connections')
export class ConsoleConnectionsController {
  constructor(
    private readonly connections: ConnectionsService,
    private readonly credentials: CredentialsService,
    private readonly verification: VerificationService,
    private readonly connectSessions: ConnectSessionsService,
    private readonly catalog: ProviderCatalog,
    private readonly inboundEvents: InboundEventsRepository,
    private readonly activity: ActivityService,
    @Inject(tokenLifecycleConfig.KEY) private readonly lifecycle: ConfigType<typeof tokenLifecycleConfig>,
    @Inject(providerEventsConfig.KEY) private readonly events: ConfigType<typeof providerEventsConfig>,
  ) {}

  /** Filtered like GET /connections (the same DTO and rules), 25 per page, newest first. */
  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const given = {
      provider: field(raw.provider),
      status: field(raw.status),
      ownerId: field(raw.ownerId),
      cursor: field(raw.cursor),
    };
    const query = plainToInstance(ListConnectionsQuery, { ...given, limit: PAGE_SIZE });
    const errors = await validate(query, { validationError: { target: false, value: false } });
    const invalid = new Set(errors.map((e) => e.property));
    // The form shows back what was valid only (a string the rules accept).
    const shown = (name: keyof typeof given) =>
      !invalid.has(name) && typeof given[name] === 'string' ? given[name] : '';
    const filters = { provider: shown('provider'), status: shown('status'), ownerId: shown('ownerId') };

    let flash: Flash | undefined;
    let status = 200;
    let rows: Connection[] = [];
    let nextCursor: string | null = null;
    if (invalid.size) {
      const names = [...invalid].map((p) => FILTER_LABELS[p] ?? 'filter').join(', ');
      flash = {
        kind: 'error',
        text: `These filters cannot be used (${names}): pick a provider and a status from the lists, and give an owner id of at most 255 characters.`,
      };
      status = 400;
    } else {
      try {
        ({ data: rows, nextCursor } = await this.connections.list(query));
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'invalid_cursor')) throw error;
        flash = { kind: 'error', text: 'This page link is not valid any more: start again from the first page.' };
        status = 400;
      }
    }

    const link = (extra: Record<string, string>) => {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries({ ...filters, ...extra })) if (value) params.set(name, value);
      const search = params.toString();
      return search ? `${LIST_PATH}?${search}` : LIST_PATH;
    };
    const providers = this.catalog.list().map((p) => ({ name: p.name, label: p.settings.displayName }));
    // A provider that has connections but is no longer configured can still be filtered on.
    if (filters.provider && !providers.some((p) => p.name === filters.provider))
      providers.push({ name: filters.provider, label: filters.provider });
    const now = Date.now();

    await sendPage(
      request,
      reply,
      'connections',
      {
        title: 'Connections',
        page: 'connections',
        flash,
        filters,
        filtered: Boolean(filters.provider || filters.status || filters.ownerId),
        providers,
        statuses: CONNECTION_STATUSES,
        rows: rows.map((c) => ({
          id: c.id,
          provider: c.provider,
          ownerId: c.ownerId,
          accountId: c.accountId,
          status: c.status,
          expires: when(c.expiresAt, now),
          lastRefreshed: when(c.lastRefreshedAt, now),
          lastErrorCode: c.lastError?.code ?? '',
        })),
        pageSize: PAGE_SIZE,
        nextHref: nextCursor ? link({ cursor: nextCursor }) : undefined,
        firstHref: given.cursor && !invalid.has('cursor') ? link({}) : undefined,
      },
      status,
    );
  }

  @Get(':id')
  async show(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const connection = await this.connections.get(connectionId(id));
    const query = (request.query ?? {}) as Record<string, unknown>;
    let flash: Flash | undefined;
    if (typeof query.done === 'string' && Object.hasOwn(DONE, query.done))
      flash = { kind: 'ok', text: DONE[query.done] };
    else if (typeof query.failed === 'string' && (ERROR_CODES as readonly string[]).includes(query.failed)) {
      const code = query.failed as ErrorCode;
      flash = { kind: 'error', text: `${FAILED[code] ?? 'The action failed.'} (${code})` };
    }
    await this.renderConnection(request, reply, connection, { flash });
  }

  /** A refresh now, as POST /connections/{id}/refresh. */
  @Post(':id/refresh')
  @RouteConfig(FORM)
  async refresh(@Param('id') id: string, @Res() reply: FastifyReply): Promise<void> {
    const cid = connectionId(id);
    await this.act(reply, cid, async () => {
      await this.credentials.forceRefresh(cid);
      return 'refreshed';
    });
  }

  /** The provider's whoami with the current token, as POST /connections/{id}/verify. */
  @Post(':id/verify')
  @RouteConfig(FORM)
  async verify(@Param('id') id: string, @Res() reply: FastifyReply): Promise<void> {
    const cid = connectionId(id);
    await this.act(reply, cid, async () => {
      const checked = await this.verification.verifyById(cid);
      // A 401 is recorded (the connection now needs its user), not thrown: it is this check's error.
      const refused =
        checked.lastError?.code === 'unauthorized' &&
        checked.lastVerifiedAt !== null &&
        checked.lastError.at === checked.lastVerifiedAt.toISOString();
      return refused ? { failed: 'connection_needs_reauth' } : 'verified';
    });
  }

  /**
   * A new connect session for the connection's provider and owner: the page itself shows its one-time
   * link (not a redirect: the link is a secret and must not go in a URL).
   */
  @Post(':id/reconnect-link')
  @RouteConfig(FORM)
  async reconnectLink(
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const connection = await this.connections.get(connectionId(id));
    let session: { url: string; expiresAt: string };
    try {
      session = await this.connectSessions.create({ provider: connection.provider, ownerId: connection.ownerId });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return void reply.redirect(`${connectionPath(connection.id)}?failed=${error.code}`, 303);
    }
    await this.renderConnection(request, reply, connection, {
      flash: { kind: 'ok', text: 'A reconnect link was made. Send it to the connection’s user: it works once.' },
      reconnect: { url: session.url, expires: when(session.expiresAt) },
    });
  }

  /** Asks first (works without script); the form posts to the route below. */
  @Get(':id/delete')
  async confirmDelete(
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const connection = await this.connections.get(connectionId(id));
    const provider = this.catalog.find(connection.provider);
    await sendPage(request, reply, 'connection-delete', {
      title: 'Delete connection',
      page: 'connections',
      c: connection,
      providerLabel: provider?.settings.displayName ?? connection.provider,
      revokes: provider?.supports.revoke ?? false,
    });
  }

  /** As DELETE /connections/{id}: revoked at the provider where it can be, deleted here whatever it said. */
  @Post(':id/delete')
  @RouteConfig(FORM)
  async delete(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const connection = await this.connections.get(connectionId(id));
    const { providerRevocation } = await this.connections.delete(connection.id);
    await sendPage(request, reply, 'connection-deleted', {
      title: 'Connection deleted',
      page: 'connections',
      flash: { kind: 'ok', text: 'The connection was deleted.' },
      c: connection,
      providerLabel: this.catalog.find(connection.provider)?.settings.displayName ?? connection.provider,
      revocation: providerRevocation,
      revocationText: REVOCATION[providerRevocation],
    });
  }

  /**
   * Runs an action and answers 303 to the connection's page with `?done=` or `?failed=<code>` (a domain
   * error's code; never its message, which may carry a provider's words). A connection that is gone is
   * the 404 page at once; anything unexpected goes to the filter (500, logged).
   */
  private async act(
    reply: FastifyReply,
    id: string,
    action: () => Promise<keyof typeof DONE | { failed: ErrorCode }>,
  ): Promise<void> {
    let outcome: string;
    try {
      const result = await action();
      outcome = typeof result === 'string' ? `done=${result}` : `failed=${result.failed}`;
    } catch (error) {
      if (!(error instanceof DomainError) || error.code === 'connection_not_found') throw error;
      outcome = `failed=${error.code}`;
    }
    void reply.redirect(`${connectionPath(id)}?${outcome}`, 303);
  }

  private async renderConnection(
    request: FastifyRequest,
    reply: FastifyReply,
    c: Connection,
    extra: { flash?: Flash; reconnect?: { url: string; expires: ShownDate | null } },
  ): Promise<void> {
    const provider = this.catalog.find(c.provider);
    const [subscriptions, events, activity] = await Promise.all([
      this.inboundEvents.listSubscriptionsOfConnection(c.id, SUBSCRIPTIONS_SHOWN + 1),
      this.inboundEvents.latestEventsOfConnection(c.id, EVENTS_SHOWN),
      this.activity.latest(c.id, ACTIVITY_SHOWN),
    ]);
    const now = Date.now();
    const shownEvents = events.map((e) => ({
      type: e.eventType,
      received: when(e.receivedAt, now),
      delivery: deliveryState(e),
    }));
    await sendPage(request, reply, 'connection', {
      title: `Connection ${c.provider} ${c.accountId}`,
      page: 'connections',
      ...extra,
      c,
      providerLabel: provider?.settings.displayName ?? c.provider,
      configured: provider !== undefined,
      canRefresh: c.hasRefreshToken && !needsUser(c.status),
      canVerify: (provider?.supports.verify ?? false) && c.status !== ConnectionStatus.Revoked,
      needsUser: needsUser(c.status),
      revoked: when(c.revokedAt, now),
      expires: when(c.expiresAt, now),
      refreshExpires: when(c.refreshTokenExpiresAt, now),
      lastRefreshed: when(c.lastRefreshedAt, now),
      // The provider's last yes to a whoami check (the API's lastVerifiedAt).
      lastVerified: when(c.lastVerifiedAt, now),
      nextRefresh: when(plannedRefresh(c, provider?.settings.refreshLeadSeconds, this.lifecycle.renewBeforeMs), now),
      backoffUntil: c.nextRefreshAt && Date.parse(c.nextRefreshAt) > now ? when(c.nextRefreshAt, now) : null,
      lastErrorAt: when(c.lastError?.at ?? null, now),
      created: when(c.createdAt, now),
      updated: when(c.updatedAt, now),
      metadataJson: JSON.stringify(c.metadata, null, 2),
      // Named fields only: a subscription's row also holds its URL token's hash and the provider's secret.
      subscriptions: subscriptions.slice(0, SUBSCRIPTIONS_SHOWN).map((s) => ({
        id: s.id,
        events: s.events,
        status: s.status,
        created: when(s.createdAt, now),
      })),
      subscriptionsCut: subscriptions.length > SUBSCRIPTIONS_SHOWN ? SUBSCRIPTIONS_SHOWN : 0,
      events: shownEvents,
      eventsNotForwarded: shownEvents.some((e) => e.delivery.text === NOT_FORWARDED),
      eventsPurged: shownEvents.some((e) => e.delivery.text === PURGED),
      eventsShown: EVENTS_SHOWN,
      eventsKeptHours: this.events.dedupeHours,
      activity: timeline(activity, now),
      activityShown: ACTIVITY_SHOWN,
      activityCut: activity.length === ACTIVITY_SHOWN,
      activityKeptDays: this.activity.retentionDays,
    });
  }
}
