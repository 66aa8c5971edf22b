import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { UUID_SCHEMA } from '../common/limits';
import { UuidParam } from '../common/validation';
import { ConnectSession, ConnectSessionState, CreateConnectSessionRequest } from './connect-session.dto';
import { ConnectSessionsService } from './connect-sessions.service';

@ApiTags('connect-sessions')
@Controller('connect-sessions')
export class ConnectSessionsController {
  constructor(private readonly service: ConnectSessionsService) {}

  @Post()
  @RequireScope('connections:write')
  @ApiOperation({
    operationId: 'createConnectSession',
    summary: 'Create a one-time link that connects a user to a provider',
    description:
      'Send the user’s browser to `url` (one provider: its authorize route; `providers`: a hosted page where the user picks one). After consent the browser lands on `returnUrl?status=connected&connectionId=…&provider=…&sessionId=…` (or `status=error&error=<code>&sessionId=…`: access_denied, invalid_state, session_expired, provider_mismatch, token_exchange_failed, identity_failed, internal_error, account_mismatch). Connecting the same provider account again updates the same connection; `reconnect` insists on it. `observeToken` lets a browser learn the outcome (GET /connect/observe/{sessionId}); GET /connect-sessions/{id} tells your backend.',
  })
  @ApiCreatedResponse({ type: ConnectSession })
  @ApiErrors(400, 413, {
    status: 404,
    description: 'reconnect.connectionId names no connection',
    code: 'connection_not_found',
    message: 'Connection 0b7e... does not exist',
  })
  create(@Body() body: CreateConnectSessionRequest): Promise<ConnectSession> {
    return this.service.create(body);
  }

  @Get(':id')
  @RequireScope('connections:read')
  @ApiOperation({
    operationId: 'getConnectSession',
    summary: 'How a connect session ended, or that it has not',
    description:
      'So your backend can confirm what a browser reports. A session is kept a day after it expires, then 404.',
  })
  @ApiParam({ name: 'id', schema: UUID_SCHEMA })
  @ApiOkResponse({ type: ConnectSessionState })
  @ApiErrors(400, {
    status: 404,
    description: 'No connect session with this id',
    code: 'connect_session_not_found',
    message: 'Connect session 0b7e... does not exist (or was purged a day after it expired)',
  })
  get(@Param('id', UuidParam) id: string): Promise<ConnectSessionState> {
    return this.service.describe(id);
  }
}
