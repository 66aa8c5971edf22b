import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Length, Matches } from 'class-validator';
import {
  DATE_TIME_SCHEMA,
  ID_MAX_LENGTH,
  PROVIDER_NAME_PATTERN,
  PROVIDER_NAME_SCHEMA,
  URL_MAX_LENGTH,
  UUID_SCHEMA,
} from '../common/limits';
import { IsJsonObject, NO_NUL } from '../common/validation';

const SCOPES_MAX_ITEMS = 50;
const SCOPE_MAX_LENGTH = 200;

export class CreateConnectSessionRequest {
  @ApiProperty({ ...PROVIDER_NAME_SCHEMA, example: 'keap', description: 'A provider listed by GET /providers' })
  @Matches(PROVIDER_NAME_PATTERN, { message: 'provider must be a provider name' })
  provider!: string;

  @ApiProperty({
    minLength: 1,
    maxLength: ID_MAX_LENGTH,
    example: 'user_42',
    description: "Your own user's id; the connection will carry it",
  })
  @IsString()
  @Length(1, ID_MAX_LENGTH)
  @Matches(NO_NUL, { message: 'ownerId must not contain U+0000' })
  ownerId!: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: SCOPE_MAX_LENGTH, pattern: '^[\\x21-\\x7E]+$' },
    maxItems: SCOPES_MAX_ITEMS,
    description: "Scopes to request; default: the provider's default scopes",
    example: ['full'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(SCOPES_MAX_ITEMS)
  @IsString({ each: true })
  @Length(1, SCOPE_MAX_LENGTH, { each: true })
  @Matches(/^[\x21-\x7E]+$/, { each: true, message: 'each scope must be printable ASCII without spaces' })
  scopes?: string[];

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: URL_MAX_LENGTH,
    description:
      'Where the browser lands after the flow, with ?connectionId=…&status=connected or ?status=error&error=<code>. Must match ALLOWED_RETURN_URLS. Without it the flow ends on a small result page.',
    example: 'http://localhost:3000/connected',
  })
  @IsOptional()
  @IsString()
  @Length(1, URL_MAX_LENGTH)
  @Matches(NO_NUL, { message: 'returnUrl must not contain U+0000' })
  returnUrl?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Stored on the connection (JSON object, at most 16 kB)',
  })
  @IsOptional()
  @IsJsonObject(16 * 1024)
  metadata?: Record<string, unknown>;
}

export class ConnectSession {
  @ApiProperty(UUID_SCHEMA)
  id!: string;

  @ApiProperty({
    format: 'uri',
    // PUBLIC_URL, the provider's name and a 43-character token.
    maxLength: URL_MAX_LENGTH,
    description: 'One-time link to send the user to; valid 10 minutes',
    example: 'http://localhost:3000/oauth/keap/authorize?session=q3J0b2tlbi1vZi00My1jaGFyYWN0ZXJzLWV4YW1wbGU',
  })
  url!: string;

  @ApiProperty(DATE_TIME_SCHEMA)
  expiresAt!: string;
}
