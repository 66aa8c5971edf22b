import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKey, ApiKeyList, CreateApiKeyRequest, CreatedApiKey, KEY_ID_SCHEMA, ListApiKeysQuery } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';
import { RequireScope } from './require-scope.decorator';

@ApiTags('api-keys')
@RequireScope('admin')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key with scopes',
    description: 'The answer holds the key itself, once: store it then. Only its SHA-256 is kept.',
  })
  @ApiCreatedResponse({ type: CreatedApiKey })
  @ApiErrors(400, 413)
  create(@Body() body: CreateApiKeyRequest): Promise<CreatedApiKey> {
    return this.apiKeys.create(body);
  }

  @Get()
  @ApiOperation({
    operationId: 'listApiKeys',
    summary: 'List API keys, newest first (never a key or its hash)',
    description: 'The keys of API_KEYS come first, as `env-1`, `env-2`, … with the admin scope.',
  })
  @ApiOkResponse({ type: ApiKeyList })
  @ApiErrors(400)
  async list(@Query() query: ListApiKeysQuery): Promise<ApiKeyList> {
    return { data: await this.apiKeys.list(query.includeRevoked === 'true') };
  }

  @Delete(':id')
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description: 'Every replica refuses the key within 5 seconds (this one at once). Keys of API_KEYS: 409.',
  })
  @ApiParam({ name: 'id', schema: KEY_ID_SCHEMA, description: 'The key id: a uuid, or env-<n> for API_KEYS' })
  @ApiOkResponse({ type: ApiKey })
  @ApiErrors(
    400,
    {
      status: 404,
      description: 'No active key with this id',
      code: 'api_key_not_found',
      message: 'No active API key has the id 5b0f...',
    },
    {
      status: 409,
      description: 'A key of API_KEYS: revoked by removing it there',
      code: 'api_key_from_environment',
      message: 'env-1 comes from API_KEYS: remove it there and restart the service to revoke it',
    },
  )
  revoke(@Param('id') id: string): Promise<ApiKey> {
    return this.apiKeys.revoke(id);
  }
}
