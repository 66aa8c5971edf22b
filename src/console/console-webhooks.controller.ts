import { Controller, Get, Inject, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { DomainError } from '../common/errors';
import { decodeCursor, keysetPage } from '../common/keyset';
import { createValidationPipe, UuidParam } from '../common/validation';
import { WebhookDeliveriesRepository } from '../webhooks/webhook-deliveries.repository';
import { ListWebhookDeliveriesQuery } from '../webhooks/webhook-delivery.dto';
import { DELIVERY_STATUSES, DeliveryStatus, WebhookDeliveryEntity } from '../webhooks/webhook-delivery.entity';
import { webhooksConfig } from '../webhooks/webhooks.config';
import { ConsoleExceptionFilter } from './console.filter';
import { ConsoleGuard } from './console.guard';
import { shownDate } from './console-dates';
import { CONSOLE_PATH } from './console-session';
import { Flash, sendPage } from './console-views';

const FORM = { formBody: true } as const;
const PAGE_SIZE = 50;

/** The flashes a redirect back may ask for (`?done=`): fixed texts, never anything the request brought. */
const DONE: Record<string, Flash> = {
  redelivered: { kind: 'ok', text: 'The delivery is pending again: the dispatcher sends it on its next round.' },
};

/** A date as every console page shows it (console-dates.ts), to the second: deliveries come in bursts. */
const shown = (date: Date | null) => shownDate(date, { seconds: true });

/** Where the list was: the filter, the page size and the page, as far as they are valid. */
interface ListState {
  status?: DeliveryStatus;
  limit?: number;
  cursor?: string;
}

/** The fields of GET /webhook-deliveries the list takes from a query or a form (`done` is the console's own). */
const LIST_FIELDS = ['status', 'limit', 'cursor'] as const;

/**
 * The API's pipe (the global one of app.setup.ts): the list's fields are checked exactly as
 * GET /webhook-deliveries checks its query, with its DTO, rules and messages.
 */
const apiValidation = createValidationPipe();

/**
 * `fields` as ListWebhookDeliveriesQuery checks them (ValidationFailed naming the field otherwise). A
 * field that is absent or empty is not given (the filter form sends `status=` for "any"); other
 * parameters are ignored. `limit` is kept only when given: the console's own page size is 50.
 */
async function checkedState(fields: Record<string, unknown>): Promise<ListState> {
  const given: Record<string, unknown> = {};
  for (const name of LIST_FIELDS) if (fields[name] !== undefined && fields[name] !== '') given[name] = fields[name];
  const query = (await apiValidation.transform(given, {
    type: 'query',
    metatype: ListWebhookDeliveriesQuery,
  })) as ListWebhookDeliveriesQuery;
  return {
    ...(query.status ? { status: query.status } : {}),
    ...('limit' in given ? { limit: query.limit } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
  };
}

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

/** The list state a form carried back (hidden fields): each field checked alone, what is not valid dropped, never echoed. */
async function stateOfForm(form: Record<string, unknown>): Promise<ListState> {
  const parts = await Promise.all(
    LIST_FIELDS.map((name) => checkedState({ [name]: form[name] }).catch((): ListState => ({}))),
  );
  return Object.assign({}, ...parts) as ListState;
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
    // Anything invalid is a 400 page naming it, as the API's 400 does.
    const state = await checkedState(query);
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
    const back = await stateOfForm((request.body ?? {}) as Record<string, unknown>);
    void reply.redirect(listUrl(back, 'redelivered'), 303);
  }
}
