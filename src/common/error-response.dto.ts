import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES } from './errors';

export class ErrorResponse {
  @ApiProperty({ example: 404, description: 'HTTP status, repeated for clients that only see the body' })
  statusCode!: number;

  @ApiProperty({
    enum: ERROR_CODES,
    enumName: 'ErrorCode',
    example: 'connection_not_found',
    description: 'Stable machine-readable code',
  })
  code!: string;

  @ApiProperty({
    example: 'Connection 7d4f... does not exist',
    description: 'Human-readable explanation; never echoes secrets or request bodies',
  })
  message!: string;

  @ApiProperty({
    example: '3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11',
    description: 'Same value as the X-Request-Id response header',
  })
  requestId!: string;

  @ApiPropertyOptional({
    example: 'credentials:read',
    description: 'With insufficient_scope: the scope the route needs',
  })
  requiredScope?: string;
}
