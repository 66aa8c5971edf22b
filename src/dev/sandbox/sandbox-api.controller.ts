import { All, Controller, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { Public } from '../../auth/public.decorator';
import { SandboxApiService } from './sandbox-api.service';
import { send } from './sandbox-http';
import { SandboxProviderPipe } from './sandbox-provider.pipe';
import type { ProviderSimulator } from './simulators/simulator';

/**
 * Each simulator's API base URL (`/sandbox/<provider>/api`, what the stand-in provider's apiBaseUrl
 * points at): one route for every provider and path; the simulator's routes decide the rest. A path
 * or method the simulator does not serve is the app's plain 404, as for any unknown route.
 */
@Public()
@ApiExcludeController()
@Controller('sandbox')
export class SandboxApiController {
  constructor(private readonly api: SandboxApiService) {}

  // Fastify's wildcard: `*` matches the rest of the path (possibly empty), read as the `*` param.
  @All([':provider/api', ':provider/api/*'])
  async call(
    @Param('provider', SandboxProviderPipe) provider: ProviderSimulator,
    @Param('*') path: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const reply = await this.api.call(provider, req, path ?? '');
    if (!reply) throw new NotFoundException();
    send(res, reply);
  }
}
