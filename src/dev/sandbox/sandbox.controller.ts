import { Controller, Delete, Get, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { Public } from '../../auth/public.decorator';
import { SandboxAuthorizeService } from './sandbox-authorize.service';
import { SandboxCallsService } from './sandbox-calls.service';
import { SandboxFaultsService } from './sandbox-faults.service';
import { send } from './sandbox-http';
import { SandboxOAuthService } from './sandbox-oauth.service';
import { SandboxProviderPipe } from './sandbox-provider.pipe';
import type { ProviderSimulator } from './simulators/simulator';
import { json, Params, SandboxError, SandboxReply } from './simulators/wire';

/** The OAuth endpoints of every simulator, plus the test-only fault switches and call log. */
@Public()
@ApiExcludeController()
@Controller('sandbox')
export class SandboxController {
  constructor(
    private readonly authorizeService: SandboxAuthorizeService,
    private readonly oauth: SandboxOAuthService,
    private readonly faults: SandboxFaultsService,
    private readonly calls: SandboxCallsService,
  ) {}

  @Get(':provider/authorize')
  authorize(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Req() req: Request,
    @Res() res: Response,
  ): void {
    send(res, this.authorizeService.page(provider, req.query));
  }

  @Post(':provider/consent')
  async consent(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    send(res, await this.authorizeService.decide(provider, req.body));
  }

  @Post(':provider/token')
  async token(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    send(res, await this.oauth.token(provider, req));
  }

  @Post(':provider/revoke')
  async revoke(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (!provider.revoke) throw new NotFoundException();
    send(res, await this.oauth.revoke(provider, req));
  }

  @Post(':provider/faults')
  async addFault(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    send(res, await answer(async () => json(await this.faults.add(provider, req.body), 201)));
  }

  @Delete(':provider/faults')
  async clearFaults(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Res() res: Response,
  ): Promise<void> {
    send(res, json({ deleted: await this.faults.clear(provider) }));
  }

  @Get(':provider/calls')
  async listCalls(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const query = Params.of(req.query);
    send(
      res,
      await answer(async () =>
        json(await this.calls.list(provider, { endpoint: query.get('endpoint'), grantType: query.get('grantType') })),
      ),
    );
  }

  @Delete(':provider/calls')
  async clearCalls(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Res() res: Response,
  ): Promise<void> {
    send(res, json({ deleted: await this.calls.clear(provider) }));
  }
}

async function answer(fn: () => Promise<SandboxReply>): Promise<SandboxReply> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SandboxError) return e.toReply();
    throw e;
  }
}
