import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { UUID_SCHEMA } from '../common/limits';
import { UuidParam } from '../common/validation';
import {
  Connection,
  ConnectionList,
  DeleteConnectionResponse,
  ImportConnectionRequest,
  ListConnectionsQuery,
  UpdateConnectionRequest,
} from './connection.dto';
import { ConnectionsService } from './connections.service';

export const ID_PARAM = { name: 'id', schema: UUID_SCHEMA, description: 'Connection id' } as const;

@ApiTags('connections')
@Controller('connections')
export class ConnectionsController {
  constructor(private readonly service: ConnectionsService) {}

  @RequireScope('connections:read')
  @Get()
  @ApiOperation({ operationId: 'listConnections', summary: 'List connections, newest first, with keyset pagination' })
  @ApiOkResponse({ type: ConnectionList })
  @ApiErrors(400)
  list(@Query() query: ListConnectionsQuery): Promise<ConnectionList> {
    return this.service.list(query);
  }

  @RequireScope('connections:write')
  @Post()
  @ApiOperation({
    operationId: 'importConnection',
    summary: 'Import an existing token pair',
    description:
      'Stores tokens obtained outside a browser flow, such as a Keap "Generate API Token" pair. Importing the same (provider, ownerId, accountId) again replaces the tokens of that connection (200) instead of creating a new one (201).',
  })
  @ApiCreatedResponse({ type: Connection, description: 'A new connection was created' })
  @ApiOkResponse({ type: Connection, description: 'The existing connection for this account was updated' })
  @ApiErrors(400, 413)
  async import(
    @Body() body: ImportConnectionRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Connection> {
    const { connection, created } = await this.service.import(body);
    reply.status(created ? 201 : 200);
    return connection;
  }

  @RequireScope('connections:read')
  @Get(':id')
  @ApiOperation({ operationId: 'getConnection', summary: 'Get one connection (never its tokens)' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: Connection })
  @ApiErrors(400, 404)
  get(@Param('id', UuidParam) id: string): Promise<Connection> {
    return this.service.get(id);
  }

  @RequireScope('connections:write')
  @Patch(':id')
  @ApiOperation({ operationId: 'updateConnection', summary: "Replace a connection's metadata" })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: Connection })
  @ApiErrors(400, 404, 413)
  update(@Param('id', UuidParam) id: string, @Body() body: UpdateConnectionRequest): Promise<Connection> {
    return this.service.replaceMetadata(id, body.metadata);
  }

  @RequireScope('connections:write')
  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'deleteConnection',
    summary: 'Delete a connection, revoking it at the provider where possible',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: DeleteConnectionResponse })
  @ApiErrors(400, 404)
  delete(@Param('id', UuidParam) id: string): Promise<DeleteConnectionResponse> {
    return this.service.delete(id);
  }
}
