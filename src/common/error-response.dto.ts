import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES } from './errors';
import { ERROR_MESSAGE_MAX_LENGTH } from './limits';

export class ErrorResponse {
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 400,
    maximum: 599,
    example: 404,
    description: 'HTTP status, repeated for clients that only see the body',
  })
  statusCode!: number;

  @ApiProperty({
    enum: ERROR_CODES,
    enumName: 'ErrorCode',
    example: 'connection_not_found',
    description: 'Stable machine-readable code',
  })
  code!: string;

  @ApiProperty({
    maxLength: ERROR_MESSAGE_MAX_LENGTH,
    example: 'Connection 7d4f... does not exist',
    description: 'Human-readable explanation; never echoes secrets or request bodies',
  })
  message!: string;

  @ApiProperty({
    // The caller's X-Request-Id when it is 1–128 of [A-Za-z0-9._:-] (common/request-id.ts), else a uuid.
    maxLength: 128,
    example: '3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11',
    description: 'Same value as the X-Request-Id response header',
  })
  requestId!: string;

  @ApiPropertyOptional({
    // A scope's name (auth/scopes.ts), such as connections:read.
    maxLength: 64,
    example: 'credentials:read',
    description: 'With insufficient_scope: the scope the route needs',
  })
  requiredScope?: string;
}
