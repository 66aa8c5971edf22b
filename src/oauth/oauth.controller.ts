import { Controller, Get, Next, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { NextFunction, Response } from 'express';
import { Public } from '../auth/public.decorator';
import { OAuthFlowService } from './oauth-flow.service';
import type { FlowRequest } from './oauth-state.store';

/** The browser half: public routes that redirect, never JSON. Documented in the README, not in the API spec. */
@ApiExcludeController()
@Public()
@Controller('oauth')
export class OAuthController {
  constructor(private readonly flow: OAuthFlowService) {}

  @Get(':provider/authorize')
  authorize(@Param('provider') provider: string, @Query('session') session: unknown, @Req() req: FlowRequest, @Res() res: Response, @Next() next: NextFunction): Promise<void> {
    noStore(res);
    return this.flow.authorize(provider, typeof session === 'string' ? session : undefined, req, res, next);
  }

  @Get(':provider/callback')
  callback(@Param('provider') provider: string, @Query() query: Record<string, unknown>, @Req() req: FlowRequest, @Res() res: Response, @Next() next: NextFunction): Promise<void> {
    noStore(res);
    return this.flow.callback(provider, query, req, res, next);
  }
}

/** Every answer here can carry a session link, state or code in a URL: never cache it, never leak it in a Referer. */
function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
}
