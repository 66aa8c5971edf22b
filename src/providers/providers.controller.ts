import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { ProviderList } from './provider.dto';
import { ProvidersRegistry } from './providers.registry';

@ApiTags('providers')
@ApiBearerAuth()
@Controller('providers')
export class ProvidersController {
  constructor(private readonly registry: ProvidersRegistry) {}

  @Get()
  @ApiOperation({ operationId: 'listProviders', summary: 'List the configured providers and what each supports' })
  @ApiOkResponse({ type: ProviderList })
  @ApiErrors(401)
  list(): ProviderList {
    return {
      data: this.registry.list().map((p) => ({
        name: p.name,
        displayName: p.displayName,
        supports: { ...p.supports },
        defaultScopes: p.scopes,
        sandbox: p.sandbox,
      })),
    };
  }
}
