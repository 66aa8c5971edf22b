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
/** A provider's event names (the longest list, Keap's, has about 40) and each name's length. */
const EVENT_NAMES_MAX_ITEMS = 100;
const EVENT_NAME_MAX_LENGTH = 255;

export class ProviderEventSupport {
  @ApiProperty({
    type: 'array',
    items: { type: 'string', maxLength: EVENT_NAME_MAX_LENGTH },
    maxItems: EVENT_NAMES_MAX_ITEMS,
    description:
      'The event names a subscription (POST /connections/{id}/subscriptions) may ask for, the uninstall event included; empty when the provider has none (events_not_supported)',
    example: ['contact.add', 'contact.edit'],
  })
  names!: string[];

  @ApiProperty({
    description: 'The provider reports that a user uninstalled the app (the connection becomes revoked)',
    example: false,
  })
  reportsUninstall!: boolean;

  @ApiProperty({
    type: String,
    maxLength: EVENT_NAME_MAX_LENGTH,
    nullable: true,
    description: "The provider's uninstall event, or null",
    example: null,
  })
  uninstallEvent!: string | null;

  @ApiProperty({
    description:
      'A subscription takes exactly one event (Lightfunnels: its deliveries do not say which event they are)',
    example: false,
  })
  oneEventPerSubscription!: boolean;
}

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

  @ApiProperty({ type: ProviderEventSupport, description: "The provider's own events (docs/events.md)" })
  events!: ProviderEventSupport;

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
