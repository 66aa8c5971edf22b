import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiErrors, ErrorDoc } from '../common/api-errors.decorator';
import { UUID_SCHEMA } from '../common/limits';
import { UuidParam } from '../common/validation';
import { ValidationFailed } from '../common/errors';
import { ID_PARAM } from '../connections/connections.controller';
import {
  CreateSubscriptionRequest,
  DeleteSubscriptionResponse,
  Subscription,
  SubscriptionList,
} from './subscription.dto';
import { SubscriptionsService } from './subscriptions.service';

const SUBSCRIPTION_ID_PARAM = { name: 'subscriptionId', schema: UUID_SCHEMA, description: 'Subscription id' } as const;

const SubscriptionIdParam = new ParseUUIDPipe({
  exceptionFactory: () => new ValidationFailed('subscriptionId must be a UUID'),
});

const EVENTS_NOT_SUPPORTED: ErrorDoc = {
  status: 422,
  description:
    'The provider cannot register webhooks for this connection (events_not_supported: ClickFunnels Classic, generic providers, a Webflow authorization without a site)',
  code: 'events_not_supported',
  message: 'Provider "clickfunnels-classic" has no webhooks this service can register (docs/events.md)',
};
const SUBSCRIPTION_NOT_FOUND: ErrorDoc = {
  status: 404,
  description:
    'No connection with this id (connection_not_found), or no such subscription of it (subscription_not_found)',
  code: 'subscription_not_found',
  message: 'Connection 0b7e... has no subscription 9c1d...',
};
const CONFLICT: ErrorDoc = {
  status: 409,
  description:
    'The user must reconnect (connection_needs_reauth; connection_revoked: they uninstalled the app), or the provider already has this webhook (event_already_subscribed: Lightfunnels webhooks_duplicated)',
  code: 'connection_revoked',
  message:
    'Connection 0b7e... was revoked: its user uninstalled the app at the provider; it works again once they reconnect the account',
};

/** Webhooks registered at the provider for a connection (docs/events.md "Subscribing"). */
@ApiTags('connections')
@Controller('connections')
export class SubscriptionsController {
  constructor(private readonly service: SubscriptionsService) {}

  @RequireScope('connections:write')
  @Post(':id/subscriptions')
  @ApiOperation({
    operationId: 'createSubscription',
    summary: "Subscribe to the provider's events for this connection",
    description:
      "Registers a webhook at the provider with the connection's token, to `{PUBLIC_URL}/events/{provider}/{token}`; its events arrive as the `provider.event` webhook. ClickFunnels 2.0: one outgoing endpoint; Lightfunnels: one webhook (exactly one event per subscription); Keap: one REST hook per event (`pending_verification` until its X-Hook-Secret handshake arrives); Webflow: one webhook per authorized site and event.",
  })
  @ApiParam(ID_PARAM)
  @ApiCreatedResponse({ type: Subscription })
  @ApiErrors(400, 404, CONFLICT, 413, EVENTS_NOT_SUPPORTED, 429, 502, 503)
  create(@Param('id', UuidParam) id: string, @Body() body: CreateSubscriptionRequest): Promise<Subscription> {
    return this.service.create(id, body.events);
  }

  @RequireScope('connections:read')
  @Get(':id/subscriptions')
  @ApiOperation({ operationId: 'listSubscriptions', summary: "A connection's subscriptions, oldest first" })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: SubscriptionList })
  @ApiErrors(400, 404)
  async list(@Param('id', UuidParam) id: string): Promise<SubscriptionList> {
    return { data: await this.service.list(id) };
  }

  @RequireScope('connections:write')
  @Delete(':id/subscriptions/:subscriptionId')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'deleteSubscription',
    summary: 'Unsubscribe: remove the webhook at the provider, then the subscription',
    description:
      'When the provider fails (502) the subscription stays, so the call can be retried. A revoked connection has no token to call the provider with: only the subscription is deleted (removedAtProvider false).',
  })
  @ApiParam(ID_PARAM)
  @ApiParam(SUBSCRIPTION_ID_PARAM)
  @ApiOkResponse({ type: DeleteSubscriptionResponse })
  @ApiErrors(400, SUBSCRIPTION_NOT_FOUND, 409, 429, 502, 503)
  delete(
    @Param('id', UuidParam) id: string,
    @Param('subscriptionId', SubscriptionIdParam) subscriptionId: string,
  ): Promise<DeleteSubscriptionResponse> {
    return this.service.delete(id, subscriptionId);
  }
}
