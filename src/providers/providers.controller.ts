import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator';
import { ProviderEventSupport, ProviderList } from './provider.dto';
import { ProviderEvents } from './core/provider-events';
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
      data: this.catalog.list().map(({ settings: p, events }) => ({
        name: p.name,
        displayName: p.displayName,
        supports: { ...p.supports },
        defaultScopes: p.scopes,
        events: eventSupport(events),
        sandbox: p.sandbox,
      })),
    };
  }
}

/** What a subscription may ask for: only a provider that can register webhooks lists names. */
function eventSupport(events: ProviderEvents | undefined): ProviderEventSupport {
  const subscribable = Boolean(events?.subscribe && events.unsubscribe);
  const uninstallEvent = events?.uninstallEvent ?? null;
  return {
    names: subscribable && events ? [...events.names, ...(uninstallEvent ? [uninstallEvent] : [])] : [],
    reportsUninstall: uninstallEvent !== null,
    uninstallEvent,
    oneEventPerSubscription: Boolean(events?.oneEventPerSubscription),
  };
}
