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
import { SCOPES, type Scope } from './scopes';

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

export class CreateApiKeyRequest {
  @ApiProperty({
    example: 'prometheus',
    minLength: 1,
    maxLength: 100,
    description: 'Unique among active keys; shown in logs and metrics. `env-1`, `env-2`, … name the API_KEYS keys.',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  @Matches(PRINTABLE, { message: 'name must not contain control characters' })
  @Matches(/^(?!env-\d+$)/, { message: 'name env-<number> is kept for the keys of API_KEYS' })
  name!: string;

  @ApiProperty({ enum: SCOPES, enumName: 'ApiKeyScope', isArray: true, example: ['metrics'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(SCOPES.length)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true, message: `each value in scopes must be one of: ${SCOPES.join(', ')}` })
  scopes!: Scope[];
}

export class ListApiKeysQuery {
  @ApiPropertyOptional({ description: 'Also list revoked keys', default: false })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'includeRevoked must be true or false' })
  includeRevoked?: 'true' | 'false';
}

export class ApiKey {
  @ApiProperty({
    example: '5b0f3c8e-2d7a-4f4e-9d61-3a1c7e2b9f10',
    description: 'A uuid, or env-1, env-2, … for API_KEYS',
  })
  id!: string;

  @ApiProperty({ example: 'prometheus' })
  name!: string;

  @ApiProperty({ enum: SCOPES, enumName: 'ApiKeyScope', isArray: true, example: ['metrics'] })
  scopes!: Scope[];

  @ApiProperty({
    enum: ['api', 'environment'],
    description: '`environment`: from API_KEYS (admin, revoked by removing it there)',
  })
  source!: 'api' | 'environment';

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ock_Xb3kQ9',
    description: 'The first characters of the key, to tell keys apart (null for API_KEYS)',
  })
  prefix!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null for API_KEYS' })
  createdAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Written at most once a minute; null for API_KEYS and for keys never used',
  })
  lastUsedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;
}

export class ApiKeyList {
  @ApiProperty({ type: [ApiKey] })
  data!: ApiKey[];
}

export class CreatedApiKey extends ApiKey {
  @ApiProperty({
    example: 'ock_Xb3kQ9vT0mB4c8yR1pL6sW2nE5hJ7gA9dF3kZ0qU1iO',
    description: 'The key itself: shown this once, never again (only its SHA-256 is stored)',
  })
  key!: string;
}
