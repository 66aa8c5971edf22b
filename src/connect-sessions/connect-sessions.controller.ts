import { Body, Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { ConnectSession, CreateConnectSessionRequest } from './connect-session.dto';
import { ConnectSessionsService } from './connect-sessions.service';

@ApiTags('connect-sessions')
@RequireScope('connections:write')
@Controller('connect-sessions')
export class ConnectSessionsController {
  constructor(private readonly service: ConnectSessionsService) {}

  @Post()
  @ApiOperation({
    operationId: 'createConnectSession',
    summary: 'Create a one-time link that connects a user to a provider',
    description:
      'Send the user’s browser to `url`. After consent the browser lands on `returnUrl?connectionId=…&status=connected` (or `status=error&error=<code>`: access_denied, invalid_state, session_expired, provider_mismatch, token_exchange_failed, identity_failed). Connecting the same provider account again updates the same connection.',
  })
  @ApiCreatedResponse({ type: ConnectSession })
  @ApiErrors(400, 413)
  create(@Body() body: CreateConnectSessionRequest): Promise<ConnectSession> {
    return this.service.create(body);
  }
}
