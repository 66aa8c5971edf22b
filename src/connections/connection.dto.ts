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
  Min,
} from 'class-validator';
import { PageQuery } from '../common/page-query';
import { IsDateTime, IsJsonObject, NO_NUL } from '../common/validation';
import { CONNECTION_STATUSES, ConnectionStatus } from './connection-status';

const PROVIDER_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const METADATA_MAX_BYTES = 16 * 1024;
const NUL_MESSAGE = { message: '$property must not contain U+0000' };
const EXAMPLE_ID = '0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70';

export class ConnectionError {
  @ApiProperty({ example: 'provider_unavailable' })
  code!: string;

  @ApiProperty({ example: 'Token endpoint answered 503' })
  message!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;
}

/** A stored connection as the API shows it: never a token. */
export class Connection {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_ID })
  id!: string;

  @ApiProperty({ example: 'keap' })
  provider!: string;

  @ApiProperty({ description: "Your own user's id, as given when the connection was made", example: 'user_42' })
  ownerId!: string;

  @ApiProperty({ enum: CONNECTION_STATUSES, enumName: 'ConnectionStatus', example: 'active' })
  status!: ConnectionStatus;

  @ApiProperty({ description: "The provider-side account ('default' when the provider has none)", example: 'ab123' })
  accountId!: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  teamId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  teamName!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  workspaceId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  workspaceName!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Base URL for API calls made with this connection',
    example: null,
  })
  apiBaseUrl!: string | null;

  @ApiProperty({ type: [String], example: ['full'] })
  scopes!: string[];

  @ApiProperty({ example: 'Bearer' })
  tokenType!: string;

  @ApiProperty({
    description: 'Whether the service holds a refresh token (the token itself is never returned)',
    example: true,
  })
  hasRefreshToken!: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the access token expires; null = never',
  })
  expiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  refreshTokenExpiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastRefreshedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  nextRefreshAt!: string | null;

  @ApiProperty({ description: 'Consecutive failed refresh attempts', example: 0 })
  refreshFailures!: number;

  @ApiProperty({ type: ConnectionError, nullable: true })
  lastError!: ConnectionError | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { plan: 'pro' } })
  metadata!: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class ConnectionList {
  @ApiProperty({ type: [Connection] })
  data!: Connection[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
    example: null,
  })
  nextCursor!: string | null;
}

export class ListConnectionsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'keap' })
  @IsOptional()
  @Matches(PROVIDER_NAME, { message: 'provider must be a provider name' })
  provider?: string;

  @ApiPropertyOptional({ example: 'user_42' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
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
  @ApiProperty({ example: 'keap' })
  @Matches(PROVIDER_NAME, { message: 'provider must be a provider name' })
  provider!: string;

  @ApiProperty({ example: 'user_42' })
  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, NUL_MESSAGE)
  ownerId!: string;

  @ApiProperty({
    description: 'The access token (stored encrypted, never returned except by /credentials)',
    example: 'KeapAT-xxxx',
  })
  @IsString()
  @Length(1, 8192)
  @Matches(NO_NUL, NUL_MESSAGE)
  accessToken!: string;

  @ApiPropertyOptional({ description: 'The refresh token (stored encrypted, never returned)', example: 'KeapRT-xxxx' })
  @IsOptional()
  @IsString()
  @Length(1, 8192)
  @Matches(NO_NUL, NUL_MESSAGE)
  refreshToken?: string;

  // The default goes in the description, not `default`: openapi-typescript (default options) types a
  // field with a `default` as required, so an outside client could not omit it.
  @ApiPropertyOptional({ description: 'Default: `Bearer`' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  @Matches(/^[A-Za-z][A-Za-z0-9_-]*$/, { message: 'tokenType must be a word such as Bearer' })
  tokenType?: string;

  @ApiPropertyOptional({
    description: 'Seconds until the access token expires (give this or expiresAt, not both)',
    example: 86400,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10 * 365 * 86_400)
  expiresIn?: number;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When the access token expires (give this or expiresIn, not both)',
  })
  @IsOptional()
  @IsDateTime()
  expiresAt?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: "When the refresh token expires; defaults to the provider's documented horizon",
  })
  @IsOptional()
  @IsDateTime()
  refreshTokenExpiresAt?: string;

  @ApiPropertyOptional({ type: [String], example: ['full'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 255, { each: true })
  @Matches(NO_NUL, { each: true, ...NUL_MESSAGE })
  scopes?: string[];

  @ApiPropertyOptional({
    description: 'Provider-side account; one connection per (provider, ownerId, accountId). Default: `default`',
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, NUL_MESSAGE)
  accountId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, NUL_MESSAGE)
  teamId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, NUL_MESSAGE)
  teamName?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, NUL_MESSAGE)
  workspaceId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, NUL_MESSAGE)
  workspaceName?: string;

  @ApiPropertyOptional({ description: 'Base URL for API calls made with this connection' })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  apiBaseUrl?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsJsonObject(METADATA_MAX_BYTES)
  metadata?: Record<string, unknown>;
}

export class DeleteConnectionResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_ID })
  id!: string;

  @ApiProperty({
    enum: ['revoked', 'failed', 'unsupported'],
    enumName: 'ProviderRevocation',
    description:
      'Whether the provider revoked the token: revoked, failed (deleted here anyway; the revocation is queued and retried) or unsupported by the provider',
    example: 'unsupported',
  })
  providerRevocation!: 'revoked' | 'failed' | 'unsupported';
}

export class Credentials {
  @ApiProperty({ description: 'A valid access token. Use it, do not store it.', example: 'KeapAT-xxxx' })
  accessToken!: string;

  @ApiProperty({ example: 'Bearer' })
  tokenType!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null = does not expire' })
  expiresAt!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  apiBaseUrl!: string | null;

  @ApiProperty({ type: [String], example: ['full'] })
  scopes!: string[];

  @ApiProperty({ example: 'default' })
  accountId!: string;
}
