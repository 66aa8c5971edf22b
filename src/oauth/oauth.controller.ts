import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { OAuthFlowService } from './oauth-flow.service';
import type { FlowRequest } from './oauth-state.store';

/** The browser half: public routes that redirect, never JSON. Documented in docs/api.md, not in the API spec. */
@ApiExcludeController()
@Public()
@Controller('oauth')
export class OAuthController {
  constructor(private readonly flow: OAuthFlowService) {}

  /** `origin` and `return_to`: what the browser package (or the hosted picker) passes on; optional. */
  @Get(':provider/authorize')
  authorize(
    @Param('provider') provider: string,
    @Query() query: Record<string, unknown>,
    @Req() req: FlowRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    noStore(reply);
    const text = (name: string) => (typeof query[name] === 'string' ? query[name] : undefined);
    return this.flow.authorize(
      provider,
      text('session'),
      { origin: text('origin'), returnTo: text('return_to') },
      req,
      reply,
    );
  }

  @Get(':provider/callback')
  callback(
    @Param('provider') provider: string,
    @Query() query: Record<string, unknown>,
    @Req() req: FlowRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    noStore(reply);
    return this.flow.callback(provider, query, req, reply);
  }
}

/** Every answer here can carry a session link, state or code in a URL: never cache it, never leak it in a Referer. */
export function noStore(reply: FastifyReply): void {
  reply.header('Cache-Control', 'no-store');
  reply.header('Referrer-Policy', 'no-referrer');
}
