import { CanActivate, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../http/all-exceptions.filter';
import { InboundEventsService } from './inbound-events.service';

/**
 * The event routes are public, and their bodies may be a megabyte: the URL is checked before the body
 * is read (http/check-before-body.ts), so a request to an unknown provider or token is answered 404 at
 * once and its body never read. What it found is kept for the request (InboundEventsService.target),
 * so the route does not look it up again.
 */
@Injectable()
export class EventsRouteGuard implements CanActivate {
  constructor(private readonly events: InboundEventsService) {}

  canActivate(): boolean {
    return true;
  }

  async beforeBody(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const params = request.params as { provider?: string; token?: string };
    try {
      await this.events.target(params.provider ?? '', params.token, request);
      return true;
    } catch (error) {
      sendError(reply, error, request.id);
      return false;
    }
  }
}
