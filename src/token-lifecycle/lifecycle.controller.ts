import { Controller, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { ValidationFailed } from '../common/errors';
import { ArrivedAt } from '../http/arrived-at.decorator';
import { UuidParam } from '../common/validation';
import { Connection, Credentials } from '../connections/connection.dto';
import { ID_PARAM } from '../connections/connections.controller';
import { toConnectionDto } from '../connections/connections.service';
import { CredentialsService } from './credentials.service';
import { VerificationService } from './verification.service';

export class CredentialsQuery {
  @ApiPropertyOptional({
    type: Boolean,
    description: 'Refresh first, unless a refresh finished after this request began (then that result is returned)',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'forceRefresh must be true or false' })
  forceRefresh?: 'true' | 'false';

  @ApiPropertyOptional({
    type: String,
    pattern: '^[0-9]{1,10}$',
    maxLength: 10,
    example: '7',
    description:
      'The `version` of the credentials the provider refused (implies forceRefresh=true). The tokens are refreshed only while they are still that version; newer ones are returned at once. However spread out in time the callers holding one refused token are, that is one refresh',
  })
  @IsOptional()
  @Matches(/^[0-9]{1,10}$/, { message: 'staleVersion must be the version a credentials answer gave' })
  staleVersion?: string;
}

@ApiTags('connections')
@Controller('connections')
export class LifecycleController {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly verification: VerificationService,
  ) {}

  @RequireScope('credentials:read')
  @Get(':id/credentials')
  @ApiOperation({
    operationId: 'getConnectionCredentials',
    summary: 'Get a valid access token for a connection',
    description:
      'Returns the decrypted access token, refreshed first when it expires within CREDENTIALS_SKEW_SECONDS (or with forceRefresh=true; with staleVersion too, only while the stored tokens are still that version). Never the refresh token. Responses carry Cache-Control: no-store. A still-valid token is served even when its refresh failed; 502 provider_unavailable only when it has expired.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: Credentials })
  @ApiErrors(400, 404, 409, 429, 502, 503)
  // Set before the handler runs, so its error answers carry it too.
  @Header('Cache-Control', 'no-store')
  async getCredentials(
    @Param('id', UuidParam) id: string,
    @Query() query: CredentialsQuery,
    @ArrivedAt() arrivedAt: Date,
  ): Promise<Credentials> {
    // staleVersion asks for a refresh of that version: alone it implies forceRefresh, against false it is a contradiction.
    if (query.staleVersion !== undefined && query.forceRefresh === 'false')
      throw new ValidationFailed('staleVersion asks for a forced refresh: it cannot go with forceRefresh=false');
    const force = query.forceRefresh === 'true' || query.staleVersion !== undefined;
    return this.credentials.credentials(id, force, arrivedAt, query.staleVersion);
  }

  @RequireScope('connections:write')
  @Post(':id/refresh')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'refreshConnection',
    summary: 'Refresh the tokens now',
    description:
      'One refresh across all replicas; concurrent calls share it. The refresh token never leaves the service.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: Connection })
  @ApiErrors(400, 404, 409, 429, 502, 503)
  async refresh(@Param('id', UuidParam) id: string, @ArrivedAt() arrivedAt: Date): Promise<Connection> {
    return toConnectionDto(await this.credentials.forceRefresh(id, arrivedAt));
  }

  @RequireScope('connections:write')
  @Post(':id/verify')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'verifyConnection',
    summary: 'Check the token with the provider’s whoami call',
    description:
      'A 401 from the provider marks the connection needs_reauth. A revoked connection (uninstalled at the provider) has no token to check: 409 connection_revoked.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: Connection })
  @ApiErrors(400, 404, 409, 502)
  async verify(@Param('id', UuidParam) id: string): Promise<Connection> {
    return toConnectionDto(await this.verification.verifyById(id));
  }
}
