import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsJsonObject, NO_NUL } from '../common/validation';

export class CreateConnectSessionRequest {
  @ApiProperty({ example: 'keap', description: 'A provider listed by GET /providers' })
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'provider must be a provider name' })
  provider!: string;

  @ApiProperty({ example: 'user_42', description: "Your own user's id; the connection will carry it" })
  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, { message: 'ownerId must not contain U+0000' })
  ownerId!: string;

  @ApiPropertyOptional({
    type: [String],
    description: "Scopes to request; default: the provider's default scopes",
    example: ['full'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  @Matches(/^[\x21-\x7E]+$/, { each: true, message: 'each scope must be printable ASCII without spaces' })
  scopes?: string[];

  @ApiPropertyOptional({
    description:
      'Where the browser lands after the flow, with ?connectionId=…&status=connected or ?status=error&error=<code>. Must match ALLOWED_RETURN_URLS. Without it the flow ends on a small result page.',
    example: 'http://localhost:3000/connected',
  })
  @IsOptional()
  @IsString()
  @Length(1, 2048)
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
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    description: 'One-time link to send the user to; valid 10 minutes',
    example: 'http://localhost:3000/oauth/keap/authorize?session=…',
  })
  url!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}
