import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import {
  DATE_TIME_SCHEMA,
  ID_MAX_LENGTH,
  PROVIDER_NAME_PATTERN,
  PROVIDER_NAME_SCHEMA,
  URL_MAX_LENGTH,
  UUID_SCHEMA,
} from '../common/limits';
import { IsJsonObject, NO_NUL } from '../common/validation';
import { FLOW_FAILURES, SESSION_STATUSES } from './session-outcome';
import type { FlowFailure, SessionStatus } from './session-outcome';

const SCOPES_MAX_ITEMS = 50;
const SCOPE_MAX_LENGTH = 200;
/** Providers one hosted picker offers. */
export const SESSION_MAX_PROVIDERS = 10;
/** 32 random bytes, base64url: the connect link's token and the observe token. */
export const SESSION_TOKEN_LENGTH = 43;
export const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class ReconnectTarget {
  @ApiProperty({ ...UUID_SCHEMA, description: 'The connection to reconnect: its provider and owner are the session’s' })
  @IsUUID(undefined, { message: 'reconnect.connectionId must be a UUID' })
  connectionId!: string;
}

export class CreateConnectSessionRequest {
  @ApiPropertyOptional({
    ...PROVIDER_NAME_SCHEMA,
    example: 'keap',
    description:
      'A provider listed by GET /providers. Give `provider` or `providers`, not both (with `reconnect`, neither is needed).',
  })
  @IsOptional()
  @Matches(PROVIDER_NAME_PATTERN, { message: 'provider must be a provider name' })
  provider?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { ...PROVIDER_NAME_SCHEMA },
    minItems: 1,
    maxItems: SESSION_MAX_PROVIDERS,
    uniqueItems: true,
    example: ['keap', 'webflow'],
    description:
      'Several providers: the link opens a hosted page where the user picks one. A one-element list is the same as `provider`.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SESSION_MAX_PROVIDERS)
  @ArrayUnique({ message: 'providers must not repeat a provider' })
  @Matches(PROVIDER_NAME_PATTERN, { each: true, message: 'each of providers must be a provider name' })
  providers?: string[];

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: ID_MAX_LENGTH,
    example: 'user_42',
    description: "Your own user's id; the connection will carry it. Required unless `reconnect` is given.",
  })
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX_LENGTH)
  @Matches(NO_NUL, { message: 'ownerId must not contain U+0000' })
  ownerId?: string;

  @ApiPropertyOptional({
    type: ReconnectTarget,
    description:
      'Reconnect this connection: the flow must come back with the same provider account (then it is updated in place, same id), else it ends with `account_mismatch` and the connection is left as it was. A `provider`, `providers` or `ownerId` given as well must be the connection’s.',
  })
  @IsOptional()
  @IsObject({ message: 'reconnect must be an object {connectionId}' })
  @ValidateNested()
  @Type(() => ReconnectTarget)
  reconnect?: ReconnectTarget;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: SCOPE_MAX_LENGTH, pattern: '^[\\x21-\\x7E]+$' },
    maxItems: SCOPES_MAX_ITEMS,
    description:
      "Scopes to request; default: the provider's default scopes (with several providers, those of the one the user picks)",
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
      'Where the browser lands after the flow, with ?status=connected&connectionId=…&provider=…&sessionId=… or ?status=error&error=<code>&sessionId=…. Must match ALLOWED_RETURN_URLS. Without it the flow ends on a small result page.',
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
    // PUBLIC_URL, the provider's name (or /connect) and a 43-character token.
    maxLength: URL_MAX_LENGTH,
    description:
      'One-time link to send the user to; valid 10 minutes. One provider: its authorize route; several: the hosted picker (`/connect`).',
    example: 'http://localhost:3000/oauth/keap/authorize?session=q3J0b2tlbi1vZi00My1jaGFyYWN0ZXJzLWV4YW1wbGU',
  })
  url!: string;

  @ApiProperty(DATE_TIME_SCHEMA)
  expiresAt!: string;

  @ApiProperty({
    type: 'string',
    minLength: SESSION_TOKEN_LENGTH,
    maxLength: SESSION_TOKEN_LENGTH,
    pattern: SESSION_TOKEN_PATTERN.source,
    description:
      'Read-only proof for this session’s observe channel (GET /connect/observe/{sessionId}, header X-Observe-Token): it tells the outcome, nothing else. Shown once; only its SHA-256 is stored. Hand it to the browser with `url` and `id`.',
    example: 'b2JzZXJ2ZS10b2tlbjogMzIgYnl0ZXMsIGV4YW1wbGU',
  })
  observeToken!: string;

  @ApiProperty({
    type: 'array',
    items: { ...PROVIDER_NAME_SCHEMA },
    minItems: 1,
    maxItems: SESSION_MAX_PROVIDERS,
    description: 'The providers the link may connect',
    example: ['keap'],
  })
  providers!: string[];
}

const STATUS_DESCRIPTION =
  '`pending` until the flow ends; `connected` (with connectionId and provider) or `error` (with error) once it has; `expired` when it is pending and can no longer end (the link’s 10 minutes passed, and a flow started from it had its own 10 minutes)';

const ERROR_DESCRIPTION =
  'Why the flow failed (the return URL’s `error`); `account_mismatch`: a reconnect came back with another provider account';

/** GET /connect-sessions/{id}. */
export class ConnectSessionState {
  @ApiProperty(UUID_SCHEMA)
  id!: string;

  @ApiProperty({ enum: SESSION_STATUSES, enumName: 'ConnectSessionStatus', description: STATUS_DESCRIPTION })
  status!: SessionStatus;

  @ApiPropertyOptional({ ...UUID_SCHEMA, description: 'The connection made or updated (status connected)' })
  connectionId?: string;

  @ApiPropertyOptional({
    ...PROVIDER_NAME_SCHEMA,
    description: 'The provider of the flow, once known (several providers: the one the user picked)',
  })
  provider?: string;

  @ApiPropertyOptional({ enum: FLOW_FAILURES, enumName: 'ConnectFlowError', description: ERROR_DESCRIPTION })
  error?: FlowFailure;

  @ApiProperty(DATE_TIME_SCHEMA)
  expiresAt!: string;
}

/** GET /connect/observe/{sessionId}: the same state without the id and expiry. */
export class ObservedSession {
  @ApiProperty({ enum: SESSION_STATUSES, enumName: 'ConnectSessionStatus', description: STATUS_DESCRIPTION })
  status!: SessionStatus;

  @ApiPropertyOptional({ ...UUID_SCHEMA, description: 'The connection made or updated (status connected)' })
  connectionId?: string;

  @ApiPropertyOptional({ ...PROVIDER_NAME_SCHEMA, description: 'The provider of the flow, once known' })
  provider?: string;

  @ApiPropertyOptional({ enum: FLOW_FAILURES, enumName: 'ConnectFlowError', description: ERROR_DESCRIPTION })
  error?: FlowFailure;
}
