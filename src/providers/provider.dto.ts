import { ApiProperty } from '@nestjs/swagger';

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
  @ApiProperty({ description: 'Name used in API paths and bodies', example: 'keap' })
  name!: string;

  @ApiProperty({ example: 'Keap (Infusionsoft)' })
  displayName!: string;

  @ApiProperty({ type: ProviderCapabilities })
  supports!: ProviderCapabilities;

  @ApiProperty({ type: [String], description: 'Scopes requested when a connect session names none', example: ['full'] })
  defaultScopes!: string[];

  @ApiProperty({
    description: 'True when this provider is served by the built-in simulator (development only)',
    example: false,
  })
  sandbox!: boolean;
}

export class ProviderList {
  @ApiProperty({ type: [Provider] })
  data!: Provider[];
}
