import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { ProviderList } from './provider.dto';
import { ProviderCatalog } from './core/provider-catalog';

@ApiTags('providers')
@ApiBearerAuth()
@Controller('providers')
export class ProvidersController {
  constructor(private readonly catalog: ProviderCatalog) {}

  @Get()
  @ApiOperation({ operationId: 'listProviders', summary: 'List the configured providers and what each supports' })
  @ApiOkResponse({ type: ProviderList })
  @ApiErrors(401)
  list(): ProviderList {
    return {
      data: this.catalog.list().map(({ settings: p }) => ({
        name: p.name,
        displayName: p.displayName,
        supports: { ...p.supports },
        defaultScopes: p.scopes,
        sandbox: p.sandbox,
      })),
    };
  }
}
