import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator';
import { ProviderList } from './provider.dto';
import { ProviderCatalog } from './core/provider-catalog';

@ApiTags('providers')
@RequireScope('connections:read')
@Controller('providers')
export class ProvidersController {
  constructor(private readonly catalog: ProviderCatalog) {}

  @Get()
  @ApiOperation({ operationId: 'listProviders', summary: 'List the configured providers and what each supports' })
  @ApiOkResponse({ type: ProviderList })
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
