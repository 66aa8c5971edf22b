import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { isUUID } from 'class-validator';
import { ApiKeyFromEnvironment, ApiKeyNotFound, ValidationFailed } from '../common/errors';
import { ApiKey, ApiKeyList, CreateApiKeyRequest, CreatedApiKey, ListApiKeysQuery } from './api-key.dto';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeys } from './api-keys';
import { ApiKeysRepository } from './api-keys.repository';
import { RequireScope } from './require-scope.decorator';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export const toApiKey = (row: Omit<ApiKeyEntity, 'secretHash'>): ApiKey => ({
  id: row.id,
  name: row.name,
  scopes: row.scopes,
  source: 'api',
  prefix: row.prefix,
  createdAt: iso(row.createdAt),
  lastUsedAt: iso(row.lastUsedAt),
  revokedAt: iso(row.revokedAt),
});

const ENVIRONMENT_KEY_ID = /^env-\d+$/;

@ApiTags('api-keys')
@RequireScope('admin')
@Controller('api-keys')
export class ApiKeysController {
  constructor(
    private readonly repository: ApiKeysRepository,
    private readonly keys: ApiKeys,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key with scopes',
    description: 'The answer holds the key itself, once: store it then. Only its SHA-256 is kept.',
  })
  @ApiCreatedResponse({ type: CreatedApiKey })
  @ApiErrors(400, 413)
  async create(@Body() body: CreateApiKeyRequest): Promise<CreatedApiKey> {
    const { row, key } = await this.repository.create(body.name, body.scopes);
    this.keys.remember(row);
    return { ...toApiKey(row), key };
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
    const rows = await this.repository.list(query.includeRevoked === 'true');
    const fromEnvironment = this.keys.environmentKeys().map((identity): ApiKey => ({
      id: identity.id,
      name: identity.name,
      scopes: [...identity.scopes],
      source: 'environment',
      prefix: null,
      createdAt: null,
      lastUsedAt: null,
      revokedAt: null,
    }));
    return { data: [...fromEnvironment, ...rows.map(toApiKey)] };
  }

  @Delete(':id')
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description: 'Every replica refuses the key within 5 seconds (this one at once). Keys of API_KEYS: 409.',
  })
  @ApiParam({ name: 'id', description: 'The key id (a uuid)' })
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
  async revoke(@Param('id') id: string): Promise<ApiKey> {
    if (ENVIRONMENT_KEY_ID.test(id)) {
      if (this.keys.environmentKeys().some((k) => k.id === id)) throw new ApiKeyFromEnvironment(id);
      throw new ApiKeyNotFound(id);
    }
    if (!isUUID(id)) throw new ValidationFailed('id must be a UUID or env-<number>');
    const revoked = await this.repository.revoke(id, new Date());
    if (!revoked) throw new ApiKeyNotFound(id);
    this.keys.forget(revoked.id);
    return toApiKey(revoked);
  }
}
