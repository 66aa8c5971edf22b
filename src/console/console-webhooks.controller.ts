import { Controller, Get, Inject, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { DomainError, ValidationFailed } from '../common/errors';
import { decodeCursor, keysetPage } from '../common/keyset';
import { UuidParam } from '../common/validation';
import { WebhookDeliveriesRepository } from '../webhooks/webhook-deliveries.repository';
import { DELIVERY_STATUSES, DeliveryStatus, WebhookDeliveryEntity } from '../webhooks/webhook-delivery.entity';
import { webhooksConfig } from '../webhooks/webhooks.config';
import { ConsoleExceptionFilter } from './console.filter';
import { ConsoleGuard } from './console.guard';
import { CONSOLE_PATH } from './console-session';
import { Flash, sendPage } from './console-views';

const FORM = { formBody: true } as const;
const PAGE_SIZE = 50;
const CURSOR = /^[A-Za-z0-9_-]{1,512}$/;

/** The flashes a redirect back may ask for (`?done=`): fixed texts, never anything the request brought. */
const DONE: Record<string, Flash> = {
  redelivered: { kind: 'ok', text: 'The delivery is pending again: the dispatcher sends it on its next round.' },
};

/** A date as the console shows it (UTC, to the second). */
const shown = (date: Date | null) =>
  date ? { iso: date.toISOString(), text: `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC` } : null;

/** Where the list was: the filter, the page size and the page, as far as they are valid. */
interface ListState {
  status?: DeliveryStatus;
  limit?: number;
  cursor?: string;
}

const isStatus = (value: unknown): value is DeliveryStatus =>
  typeof value === 'string' && (DELIVERY_STATUSES as readonly string[]).includes(value);

/** The list's URL for a state (and a flash): the path is fixed, so a redirect never leaves the console. */
function listUrl(state: ListState, done?: string): string {
  const params = new URLSearchParams();
  if (state.status) params.set('status', state.status);
  if (state.limit) params.set('limit', String(state.limit));
  if (state.cursor) params.set('cursor', state.cursor);
  if (done) params.set('done', done);
  const query = params.toString();
  return `${CONSOLE_PATH}/webhooks${query ? `?${query}` : ''}`;
}

/** The list state of the query string; anything invalid is a 400 page naming it. */
function stateOfQuery(query: Record<string, unknown>): ListState {
  const state: ListState = {};
  const { status, limit, cursor } = query;
  if (status !== undefined && status !== '') {
    if (!isStatus(status)) throw new ValidationFailed(`status must be one of: ${DELIVERY_STATUSES.join(', ')}`);
    state.status = status;
  }
  if (limit !== undefined && limit !== '') {
    const n = typeof limit === 'string' && /^\d{1,3}$/.test(limit) ? Number(limit) : NaN;
    if (!(n >= 1 && n <= 100)) throw new ValidationFailed('limit must be a whole number from 1 to 100');
    state.limit = n;
  }
  if (cursor !== undefined && cursor !== '') {
    if (typeof cursor !== 'string' || !CURSOR.test(cursor)) throw new ValidationFailed('cursor is not valid');
    state.cursor = cursor;
  }
  return state;
}

/** The list state a form carried back (hidden fields): what is not valid is dropped, never echoed. */
function stateOfForm(form: Record<string, unknown>): ListState {
  const state: ListState = {};
  if (isStatus(form.status)) state.status = form.status;
  if (typeof form.limit === 'string' && /^\d{1,3}$/.test(form.limit)) {
    const n = Number(form.limit);
    if (n >= 1 && n <= 100) state.limit = n;
  }
  if (typeof form.cursor === 'string' && CURSOR.test(form.cursor)) state.cursor = form.cursor;
  return state;
}

/**
 * Outbound webhook deliveries, newest first: filtered by status, in keyset pages, each with a
 * Redeliver button. Only the event type and the connection of a delivery are shown, never its payload.
 */
@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleExceptionFilter)
@Controller('admin/webhooks')
export class ConsoleWebhooksController {
  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    @Inject(webhooksConfig.KEY) private readonly config: ConfigType<typeof webhooksConfig>,
  ) {}

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const state = stateOfQuery(query);
    const limit = state.limit ?? PAGE_SIZE;
    const after = state.cursor ? decodeCursor(state.cursor) : undefined;
    const rows = await this.deliveries.findPage(state.status, limit + 1, after);
    const page = keysetPage(rows, limit, (d: WebhookDeliveryEntity) => ({
      id: d.id,
      eventType: d.eventType,
      connectionId: d.connectionId,
      status: d.status,
      attempts: d.attempts,
      lastStatus: d.lastStatus,
      lastError: d.lastError,
      // Only a pending delivery has a next attempt; for the others the column would mislead.
      nextAttempt: d.status === 'pending' ? shown(d.nextAttemptAt) : null,
      deliveredAt: shown(d.deliveredAt),
      createdAt: shown(d.createdAt),
    }));
    const done = typeof query.done === 'string' && Object.hasOwn(DONE, query.done) ? DONE[query.done] : undefined;
    await sendPage(request, reply, 'webhooks', {
      title: 'Webhook deliveries',
      page: 'webhooks',
      flash: done,
      statuses: DELIVERY_STATUSES,
      state,
      deliveries: page.data,
      nextUrl: page.nextCursor ? listUrl({ ...state, cursor: page.nextCursor }) : null,
      firstUrl: state.cursor ? listUrl({ ...state, cursor: undefined }) : null,
      configured: Boolean(this.config.url),
      dispatching: Boolean(this.config.url) && this.config.dispatchIntervalMs > 0,
    });
  }

  /** Back to pending and due now (as POST /webhook-deliveries/{id}/redeliver), then back to the list. */
  @Post(':id/redeliver')
  @RouteConfig(FORM)
  async redeliver(
    @Param('id', UuidParam) id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const delivery = await this.deliveries.redeliver(id, new Date());
    if (!delivery) throw new DomainError('webhook_delivery_not_found', 404, `Webhook delivery ${id} does not exist`);
    const back = stateOfForm((request.body ?? {}) as Record<string, unknown>);
    void reply.redirect(listUrl(back, 'redelivered'), 303);
  }
}
