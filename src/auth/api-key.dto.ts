import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
} from 'class-validator';
import { DATE_TIME_SCHEMA } from '../common/limits';
import { KEY_PATTERN } from './api-key-secret';
import { SCOPES, type Scope } from './scopes';

/** An API key's name: what CreateApiKeyRequest accepts, and `env-1`, `env-2`, … for API_KEYS. */
const NAME_MAX_LENGTH = 100;
/** Key ids: a uuid, or `env-<n>` for API_KEYS (api-keys.service.ts refuses a longer one). */
export const KEY_ID_SCHEMA = { type: 'string', minLength: 1, maxLength: 36 } as const;
const SCOPES_SCHEMA = {
  enum: SCOPES,
  enumName: 'ApiKeyScope',
  isArray: true,
  maxItems: SCOPES.length,
  example: ['metrics'],
} as const;

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

export class CreateApiKeyRequest {
  @ApiProperty({
    example: 'prometheus',
    minLength: 1,
    maxLength: NAME_MAX_LENGTH,
    description: 'Unique among active keys; shown in logs and metrics. `env-1`, `env-2`, … name the API_KEYS keys.',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, NAME_MAX_LENGTH)
  @Matches(PRINTABLE, { message: 'name must not contain control characters' })
  @Matches(/^(?!env-\d+$)/, { message: 'name env-<number> is kept for the keys of API_KEYS' })
  name!: string;

  @ApiProperty({ ...SCOPES_SCHEMA, minItems: 1 })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(SCOPES.length)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true, message: `each value in scopes must be one of: ${SCOPES.join(', ')}` })
  scopes!: Scope[];
}

export class ListApiKeysQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Also list revoked keys', default: 'false' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'includeRevoked must be true or false' })
  includeRevoked?: 'true' | 'false';
}

export class ApiKey {
  @ApiProperty({
    ...KEY_ID_SCHEMA,
    example: '5b0f3c8e-2d7a-4f4e-9d61-3a1c7e2b9f10',
    description: 'A uuid, or env-1, env-2, … for API_KEYS',
  })
  id!: string;

  @ApiProperty({ example: 'prometheus', maxLength: NAME_MAX_LENGTH })
  name!: string;

  @ApiProperty(SCOPES_SCHEMA)
  scopes!: Scope[];

  @ApiProperty({
    enum: ['api', 'environment'],
    description: '`environment`: from API_KEYS (admin, revoked by removing it there)',
  })
  source!: 'api' | 'environment';

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 10,
    example: 'ock_Xb3kQ9',
    description: 'The first characters of the key, to tell keys apart (null for API_KEYS)',
  })
  prefix!: string | null;

  @ApiProperty({ ...DATE_TIME_SCHEMA, type: String, nullable: true, description: 'null for API_KEYS' })
  createdAt!: string | null;

  @ApiProperty({
    ...DATE_TIME_SCHEMA,
    type: String,
    nullable: true,
    description: 'Written at most once a minute; null for API_KEYS and for keys never used',
  })
  lastUsedAt!: string | null;

  @ApiProperty({ ...DATE_TIME_SCHEMA, type: String, nullable: true })
  revokedAt!: string | null;
}

/** At most this many keys are listed (api-keys.service.ts): far more than any deployment keeps. */
export const API_KEY_LIST_MAX_ITEMS = 10_000;

export class ApiKeyList {
  @ApiProperty({ type: [ApiKey], maxItems: API_KEY_LIST_MAX_ITEMS })
  data!: ApiKey[];
}

export class CreatedApiKey extends ApiKey {
  @ApiProperty({
    maxLength: 47,
    pattern: KEY_PATTERN.source,
    example: 'ock_Xb3kQ9vT0mB4c8yR1pL6sW2nE5hJ7gA9dF3kZ0qU1iO',
    description: 'The key itself: shown this once, never again (only its SHA-256 is stored)',
  })
  key!: string;
}
