import { ApiProperty } from '@nestjs/swagger';
import { PROVIDER_NAME_SCHEMA } from '../common/limits';

/**
 * Bounds of what the service's configuration can say about a provider, far above any real one (a
 * PROVIDERS_FILE displayName is at most 100 characters; the built-in ones are shorter).
 */
const DISPLAY_NAME_MAX_LENGTH = 100;
const DEFAULT_SCOPES_MAX_ITEMS = 1000;
const SCOPE_MAX_LENGTH = 1000;
const PROVIDERS_MAX_ITEMS = 1000;

export class ProviderCapabilities {
  @ApiProperty({ description: 'Tokens can be refreshed (the service keeps them fresh)', example: true })
  refresh!: boolean;

  @ApiProperty({ description: 'Tokens are revoked at the provider when a connection is deleted', example: false })
  revoke!: boolean;

  @ApiProperty({ description: 'The authorize step uses PKCE (S256)', example: false })
  pkce!: boolean;

  @ApiProperty({
    description:
      'Tokens can be checked with a whoami call (POST /connections/{id}/verify, and periodically when they never expire)',
    example: true,
  })
  verify!: boolean;
}

export class Provider {
  @ApiProperty({ ...PROVIDER_NAME_SCHEMA, description: 'Name used in API paths and bodies', example: 'keap' })
  name!: string;

  @ApiProperty({ maxLength: DISPLAY_NAME_MAX_LENGTH, example: 'Keap (Infusionsoft)' })
  displayName!: string;

  @ApiProperty({ type: ProviderCapabilities })
  supports!: ProviderCapabilities;

  @ApiProperty({
    type: 'array',
    items: { type: 'string', maxLength: SCOPE_MAX_LENGTH },
    maxItems: DEFAULT_SCOPES_MAX_ITEMS,
    description: 'Scopes requested when a connect session names none',
    example: ['full'],
  })
  defaultScopes!: string[];

  @ApiProperty({
    description: 'True when this provider is served by the built-in simulator (development only)',
    example: false,
  })
  sandbox!: boolean;
}

export class ProviderList {
  @ApiProperty({ type: [Provider], maxItems: PROVIDERS_MAX_ITEMS })
  data!: Provider[];
}
