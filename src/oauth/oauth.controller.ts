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

  @Get(':provider/authorize')
  authorize(
    @Param('provider') provider: string,
    @Query('session') session: unknown,
    @Req() req: FlowRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    noStore(reply);
    return this.flow.authorize(provider, typeof session === 'string' ? session : undefined, req, reply);
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
function noStore(reply: FastifyReply): void {
  reply.header('Cache-Control', 'no-store');
  reply.header('Referrer-Policy', 'no-referrer');
}
