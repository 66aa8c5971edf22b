import { Controller, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { EventsRouteGuard } from './events-route.guard';
import { InboundEventsService } from './inbound-events.service';
import { loadProviderEventsConfig } from './provider-events.config';

/** The exact bytes, whatever their type (the signature is over them), up to EVENTS_MAX_BODY_BYTES. */
const ROUTE = { rawBody: true, bodyLimit: () => loadProviderEventsConfig().maxBodyBytes } as const;

/**
 * Where providers post their events (docs/events.md). Public: the URL token and the provider's
 * signature are the proof. Answered 200 as soon as the event is stored; never with the payload.
 */
@ApiExcludeController()
@Public()
@UseGuards(EventsRouteGuard)
@Controller('events')
export class InboundEventsController {
  constructor(private readonly events: InboundEventsService) {}

  @Post(':provider/:token')
  @HttpCode(200)
  @RouteConfig(ROUTE)
  subscribed(
    @Param('provider') provider: string,
    @Param('token') token: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ received: true }> {
    return this.receive(provider, token, request, reply);
  }

  @Post(':provider')
  @HttpCode(200)
  @RouteConfig(ROUTE)
  appLevel(
    @Param('provider') provider: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ received: true }> {
    return this.receive(provider, undefined, request, reply);
  }

  private async receive(
    provider: string,
    token: string | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ received: true }> {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const receipt = await this.events.receive(
      provider,
      token,
      { headers: request.headers, body, receivedAt: new Date() },
      request,
    );
    void reply.headers({ 'cache-control': 'no-store', ...receipt.headers });
    return { received: true };
  }
}
