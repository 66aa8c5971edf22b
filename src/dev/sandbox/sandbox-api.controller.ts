import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { Public } from '../../auth/public.decorator';
import { SandboxApiService } from './sandbox-api.service';
import { send } from './sandbox-http';

/** Whoami endpoints under each simulator's API base URL (`/sandbox/<provider>/api`). */
@Public()
@ApiExcludeController()
@Controller('sandbox')
export class SandboxApiController {
  constructor(private readonly api: SandboxApiService) {}

  @Get('keap/api/oauth/connect/userinfo')
  async keapUserinfo(@Req() req: Request, @Res() res: Response): Promise<void> {
    send(res, await this.api.keapUserinfo(req));
  }

  @Get('webflow/api/token/authorized_by')
  async webflowAuthorizedBy(@Req() req: Request, @Res() res: Response): Promise<void> {
    send(res, await this.api.webflowAuthorizedBy(req));
  }

  @Get('webflow/api/token/introspect')
  async webflowIntrospect(@Req() req: Request, @Res() res: Response): Promise<void> {
    send(res, await this.api.webflowIntrospect(req));
  }

  @Get('clickfunnels/api/teams')
  async clickfunnelsTeams(@Req() req: Request, @Res() res: Response): Promise<void> {
    send(res, await this.api.clickfunnelsTeams(req));
  }

  @Get('clickfunnels/api/workspaces/:id')
  async clickfunnelsWorkspace(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    send(res, await this.api.clickfunnelsWorkspace(req, id));
  }

  @Post('lightfunnels/api')
  async lightfunnelsGraphql(@Req() req: Request, @Res() res: Response): Promise<void> {
    send(res, await this.api.lightfunnelsGraphql(req));
  }

  @Get('clickfunnels-classic/api/me')
  async clickfunnelsClassicMe(@Req() req: Request, @Res() res: Response): Promise<void> {
    send(res, await this.api.clickfunnelsClassicMe(req));
  }
}
