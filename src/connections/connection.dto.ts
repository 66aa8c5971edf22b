import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  CURSOR_MAX_LENGTH,
  DATE_TIME_SCHEMA,
  ID_MAX_LENGTH,
  PAGE_MAX_ITEMS,
  PROVIDER_ANSWER_MAX_BYTES,
  PROVIDER_NAME_PATTERN,
  PROVIDER_NAME_SCHEMA,
  PROVIDER_SCOPES_MAX_ITEMS,
  URL_MAX_LENGTH,
  UUID_SCHEMA,
} from '../common/limits';
import { PageQuery } from '../common/page-query';
import { IsDateTime, IsJsonObject, NO_NUL } from '../common/validation';
import { CONNECTION_STATUSES, ConnectionStatus } from './connection-status';

const METADATA_MAX_BYTES = 16 * 1024;
const NUL_MESSAGE = { message: '$property must not contain U+0000' };
const EXAMPLE_ID = '0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70';
/** ownerId, accountId, team and workspace ids and names (varchar(255); a flow cuts the provider's to 255). */
const ID_SCHEMA = { type: 'string', maxLength: ID_MAX_LENGTH } as const;
const INPUT_ID_SCHEMA = { ...ID_SCHEMA, minLength: 1 } as const;
/** tokenType: a word such as Bearer (varchar(32)). */
const TOKEN_TYPE_MAX_LENGTH = 32;
const IMPORT_TOKEN_MAX_LENGTH = 8192;
const IMPORT_SCOPES_MAX_ITEMS = 100;
/** Ten years, in seconds (fits an int32). */
const EXPIRES_IN_MAX = 10 * 365 * 86_400;
/**
 * Scopes of a stored connection: imported (≤ 100 of ≤ 255 characters), requested (≤ 50 of ≤ 200) or
 * the provider's grant, parsed from its token answer (≤ 1 MiB).
 */
const STORED_SCOPES_SCHEMA = {
  type: 'array',
  items: { type: 'string', maxLength: PROVIDER_ANSWER_MAX_BYTES },
  maxItems: PROVIDER_SCOPES_MAX_ITEMS,
} as const;
/** A flow keeps the provider's API base only up to 2048 characters; an import is refused above. */
const API_BASE_URL_SCHEMA = { type: String, format: 'uri', maxLength: URL_MAX_LENGTH, nullable: true } as const;

export class ConnectionError {
  @ApiProperty({ maxLength: 64, example: 'provider_unavailable' })
  code!: string;

  @ApiProperty({
    // The service's own words around a provider's error code (never the provider's text).
    maxLength: 1024,
    example: 'Token endpoint answered 503',
  })
  message!: string;

  @ApiProperty(DATE_TIME_SCHEMA)
  at!: string;
}

/** A stored connection as the API shows it: never a token. */
export class Connection {
  @ApiProperty({ ...UUID_SCHEMA, example: EXAMPLE_ID })
  id!: string;

  @ApiProperty({ ...PROVIDER_NAME_SCHEMA, example: 'keap' })
  provider!: string;

  @ApiProperty({
    ...ID_SCHEMA,
    description: "Your own user's id, as given when the connection was made",
    example: 'user_42',
  })
  ownerId!: string;

  @ApiProperty({
    enum: CONNECTION_STATUSES,
    enumName: 'ConnectionStatus',
    example: 'active',
    description:
      '`revoked`: the user uninstalled the app at the provider; its tokens are deleted and a reconnect of the same account makes it `active` again',
  })
  status!: ConnectionStatus;

  @ApiProperty({
    ...ID_SCHEMA,
    description: "The provider-side account ('default' when the provider has none)",
    example: 'ab123',
  })
  accountId!: string;

  @ApiProperty({ ...ID_SCHEMA, type: String, nullable: true, example: null })
  teamId!: string | null;

  @ApiProperty({ ...ID_SCHEMA, type: String, nullable: true, example: null })
  teamName!: string | null;

  @ApiProperty({ ...ID_SCHEMA, type: String, nullable: true, example: null })
  workspaceId!: string | null;

  @ApiProperty({ ...ID_SCHEMA, type: String, nullable: true, example: null })
  workspaceName!: string | null;

  @ApiProperty({
    ...API_BASE_URL_SCHEMA,
    description: 'Base URL for API calls made with this connection',
    example: null,
  })
  apiBaseUrl!: string | null;

  @ApiProperty({ ...STORED_SCOPES_SCHEMA, example: ['full'] })
  scopes!: string[];

  @ApiProperty({ maxLength: TOKEN_TYPE_MAX_LENGTH, example: 'Bearer' })
  tokenType!: string;

  @ApiProperty({
    description: 'Whether the service holds a refresh token (the token itself is never returned)',
    example: true,
  })
  hasRefreshToken!: boolean;

  @ApiProperty({
    ...DATE_TIME_SCHEMA,
    type: String,
    nullable: true,
    description: 'When the access token expires; null = never',
  })
  expiresAt!: string | null;

  @ApiProperty({ ...DATE_TIME_SCHEMA, type: String, nullable: true })
  refreshTokenExpiresAt!: string | null;

  @ApiProperty({ ...DATE_TIME_SCHEMA, type: String, nullable: true })
  lastRefreshedAt!: string | null;

  @ApiProperty({ ...DATE_TIME_SCHEMA, type: String, nullable: true })
  nextRefreshAt!: string | null;

  @ApiProperty({
    ...DATE_TIME_SCHEMA,
    type: String,
    nullable: true,
    description:
      "When the provider last accepted the access token in a whoami check (POST /connections/{id}/verify, the periodic check of tokens that do not expire, the proxy's check after a 401); null when no check has passed, or when the latest check failed (`lastError` says why)",
    example: null,
  })
  lastVerifiedAt!: string | null;

  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    description: 'Consecutive failed refresh attempts',
    example: 0,
  })
  refreshFailures!: number;

  @ApiProperty({ type: ConnectionError, nullable: true })
  lastError!: ConnectionError | null;

  @ApiProperty({
    ...DATE_TIME_SCHEMA,
    type: String,
    nullable: true,
    description: 'When the provider reported that the user uninstalled the app (status `revoked`); null otherwise',
    example: null,
  })
  revokedAt!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { plan: 'pro' } })
  metadata!: Record<string, unknown>;

  @ApiProperty(DATE_TIME_SCHEMA)
  createdAt!: string;

  @ApiProperty(DATE_TIME_SCHEMA)
  updatedAt!: string;
}

export class ConnectionList {
  @ApiProperty({ type: [Connection], maxItems: PAGE_MAX_ITEMS })
  data!: Connection[];

  @ApiProperty({
    type: String,
    maxLength: CURSOR_MAX_LENGTH,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
    example: null,
  })
  nextCursor!: string | null;
}

export class ListConnectionsQuery extends PageQuery {
  @ApiPropertyOptional({ ...PROVIDER_NAME_SCHEMA, example: 'keap' })
  @IsOptional()
  @Matches(PROVIDER_NAME_PATTERN, { message: 'provider must be a provider name' })
  provider?: string;

  @ApiPropertyOptional({ ...INPUT_ID_SCHEMA, example: 'user_42' })
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX_LENGTH)
  @Matches(NO_NUL, NUL_MESSAGE)
  ownerId?: string;

  @ApiPropertyOptional({ enum: CONNECTION_STATUSES, enumName: 'ConnectionStatus' })
  @IsOptional()
  @IsIn(CONNECTION_STATUSES)
  status?: ConnectionStatus;
}

export class UpdateConnectionRequest {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Replaces the stored metadata (JSON object, at most 16 kB)',
    example: { plan: 'pro' },
  })
  @IsJsonObject(METADATA_MAX_BYTES)
  metadata!: Record<string, unknown>;
}

export class ImportConnectionRequest {
  @ApiProperty({ ...PROVIDER_NAME_SCHEMA, example: 'keap' })
  @Matches(PROVIDER_NAME_PATTERN, { message: 'provider must be a provider name' })
  provider!: string;

  @ApiProperty({ ...INPUT_ID_SCHEMA, example: 'user_42' })
  @IsString()
  @Length(1, ID_MAX_LENGTH)
  @Matches(NO_NUL, NUL_MESSAGE)
  ownerId!: string;

  @ApiProperty({
    minLength: 1,
    maxLength: IMPORT_TOKEN_MAX_LENGTH,
    description: 'The access token (stored encrypted, never returned except by /credentials)',
    example: 'KeapAT-xxxx',
  })
  @IsString()
  @Length(1, IMPORT_TOKEN_MAX_LENGTH)
  @Matches(NO_NUL, NUL_MESSAGE)
  accessToken!: string;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: IMPORT_TOKEN_MAX_LENGTH,
    description: 'The refresh token (stored encrypted, never returned)',
    example: 'KeapRT-xxxx',
  })
  @IsOptional()
  @IsString()
  @Length(1, IMPORT_TOKEN_MAX_LENGTH)
  @Matches(NO_NUL, NUL_MESSAGE)
  refreshToken?: string;

  // The default goes in the description, not `default`: openapi-typescript (default options) types a
  // field with a `default` as required, so an outside client could not omit it.
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: TOKEN_TYPE_MAX_LENGTH,
    pattern: '^[A-Za-z][A-Za-z0-9_-]*$',
    description: 'Default: `Bearer`',
  })
  @IsOptional()
  @IsString()
  @Length(1, TOKEN_TYPE_MAX_LENGTH)
  @Matches(/^[A-Za-z][A-Za-z0-9_-]*$/, { message: 'tokenType must be a word such as Bearer' })
  tokenType?: string;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: EXPIRES_IN_MAX,
    description: 'Seconds until the access token expires (give this or expiresAt, not both)',
    example: 86400,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(EXPIRES_IN_MAX)
  expiresIn?: number;

  @ApiPropertyOptional({
    ...DATE_TIME_SCHEMA,
    description: 'When the access token expires (give this or expiresIn, not both)',
  })
  @IsOptional()
  @IsDateTime()
  expiresAt?: string;

  @ApiPropertyOptional({
    ...DATE_TIME_SCHEMA,
    description: "When the refresh token expires; defaults to the provider's documented horizon",
  })
  @IsOptional()
  @IsDateTime()
  refreshTokenExpiresAt?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: ID_MAX_LENGTH },
    maxItems: IMPORT_SCOPES_MAX_ITEMS,
    example: ['full'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(IMPORT_SCOPES_MAX_ITEMS)
  @IsString({ each: true })
  @Length(1, ID_MAX_LENGTH, { each: true })
  @Matches(NO_NUL, { each: true, ...NUL_MESSAGE })
  scopes?: string[];

  @ApiPropertyOptional({
    ...INPUT_ID_SCHEMA,
    description: 'Provider-side account; one connection per (provider, ownerId, accountId). Default: `default`',
  })
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX_LENGTH)
  @Matches(NO_NUL, NUL_MESSAGE)
  accountId?: string;

  @ApiPropertyOptional(INPUT_ID_SCHEMA)
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX_LENGTH)
  @Matches(NO_NUL, NUL_MESSAGE)
  teamId?: string;

  @ApiPropertyOptional(INPUT_ID_SCHEMA)
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX_LENGTH)
  @Matches(NO_NUL, NUL_MESSAGE)
  teamName?: string;

  @ApiPropertyOptional(INPUT_ID_SCHEMA)
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX_LENGTH)
  @Matches(NO_NUL, NUL_MESSAGE)
  workspaceId?: string;

  @ApiPropertyOptional(INPUT_ID_SCHEMA)
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX_LENGTH)
  @Matches(NO_NUL, NUL_MESSAGE)
  workspaceName?: string;

  @ApiPropertyOptional({
    format: 'uri',
    maxLength: URL_MAX_LENGTH,
    description: 'Base URL for API calls made with this connection (http or https)',
  })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(URL_MAX_LENGTH)
  apiBaseUrl?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsJsonObject(METADATA_MAX_BYTES)
  metadata?: Record<string, unknown>;
}

export class DeletedConnectionSubscriptions {
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    description: 'Webhook registrations removed at the provider during the DELETE (docs/events.md)',
    example: 1,
  })
  removed!: number;

  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    description:
      "Registrations the provider could not remove now: queued and retried with the connection's token, whose revocation waits for them",
    example: 0,
  })
  queued!: number;
}

export class DeleteConnectionResponse {
  @ApiProperty({ ...UUID_SCHEMA, example: EXAMPLE_ID })
  id!: string;

  @ApiProperty({
    enum: ['revoked', 'failed', 'unsupported', 'queued'],
    enumName: 'ProviderRevocation',
    description:
      "Whether the provider revoked the token: revoked, failed (deleted here anyway; the revocation is queued and retried), unsupported by the provider, or queued (it waits until the connection's webhooks are unregistered at the provider)",
    example: 'unsupported',
  })
  providerRevocation!: 'revoked' | 'failed' | 'unsupported' | 'queued';

  @ApiProperty({ type: DeletedConnectionSubscriptions })
  subscriptions!: DeletedConnectionSubscriptions;
}

export class Credentials {
  @ApiProperty({
    // An imported token is at most 8192 characters; a provider's, at most its whole (1 MiB) answer.
    maxLength: PROVIDER_ANSWER_MAX_BYTES,
    description: 'A valid access token. Use it, do not store it.',
    example: 'KeapAT-xxxx',
  })
  accessToken!: string;

  @ApiProperty({ maxLength: TOKEN_TYPE_MAX_LENGTH, example: 'Bearer' })
  tokenType!: string;

  @ApiProperty({ ...DATE_TIME_SCHEMA, type: String, nullable: true, description: 'null = does not expire' })
  expiresAt!: string | null;

  @ApiProperty({ ...API_BASE_URL_SCHEMA, example: null })
  apiBaseUrl!: string | null;

  @ApiProperty({ ...STORED_SCOPES_SCHEMA, example: ['full'] })
  scopes!: string[];

  @ApiProperty({ ...ID_SCHEMA, example: 'default' })
  accountId!: string;

  @ApiProperty({
    type: String,
    pattern: '^[0-9]{1,10}$',
    maxLength: 10,
    example: '7',
    description:
      'The version of these tokens (opaque; changes with every refresh and reconnect). When the provider refuses this access token, pass it back as `staleVersion` with `forceRefresh=true`: the service refreshes only while the stored tokens are still this version, so every caller holding a refused token causes one refresh in all',
  })
  version!: string;
}
