import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { isUUID, validate } from 'class-validator';
import { ApiKeyFromEnvironment, ApiKeyNotFound, ValidationFailed } from '../common/errors';
import { validationMessages } from '../common/validation';
import { API_KEY_LIST_MAX_ITEMS, ApiKey, CreateApiKeyRequest, CreatedApiKey } from './api-key.dto';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeys } from './api-keys';
import { ApiKeysRepository } from './api-keys.repository';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** A row of the table as the API shows it (never the hash). */
const toApiKey = (row: Omit<ApiKeyEntity, 'secretHash'>): ApiKey => ({
  id: row.id,
  name: row.name,
  scopes: row.scopes,
  source: 'api',
  prefix: row.prefix,
  createdAt: iso(row.createdAt),
  lastUsedAt: iso(row.lastUsedAt),
  revokedAt: iso(row.revokedAt),
});

/** `env-<n>`, at most as long as a uuid (36): the longest id the API declares. */
const ENVIRONMENT_KEY_ID = /^env-\d{1,32}$/;

/**
 * A request for a new key, checked as the API checks its body (CreateApiKeyRequest; unknown fields
 * refused): the request, or ValidationFailed whose message names the field (never the value). Pure:
 * the CLI, which has no Nest container, uses it too.
 */
export async function validateNewApiKey(plain: object): Promise<CreateApiKeyRequest> {
  const request = plainToInstance(CreateApiKeyRequest, plain);
  const errors = await validate(request, {
    whitelist: true,
    forbidNonWhitelisted: true,
    validationError: { target: false, value: false },
  });
  if (errors.length) throw new ValidationFailed(validationMessages(errors).join('; ') || 'Invalid input');
  return request;
}

/**
 * Making, listing and revoking API keys: the one place for the API (/api-keys) and the console
 * (/admin/api-keys). A key made or revoked here is known to, or refused by, this replica at once.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly repository: ApiKeysRepository,
    private readonly keys: ApiKeys,
  ) {}

  /**
   * A new key from a validated request (the API's pipe, or validateNewApiKey), stored as its hash and
   * returned with the key itself, this once. ValidationFailed naming `name` for an active key of that name.
   */
  async create(request: CreateApiKeyRequest): Promise<CreatedApiKey> {
    const { row, key } = await this.repository.create(request.name, request.scopes);
    this.keys.remember(row);
    return { ...toApiKey(row), key };
  }

  /**
   * The keys of API_KEYS (env-1, env-2, …, admin) first, then the table's, newest first: at most
   * API_KEY_LIST_MAX_ITEMS in all, the bound the API declares.
   */
  async list(includeRevoked: boolean): Promise<ApiKey[]> {
    const rows = await this.repository.list(includeRevoked, API_KEY_LIST_MAX_ITEMS);
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
    return [...fromEnvironment, ...rows.map(toApiKey)].slice(0, API_KEY_LIST_MAX_ITEMS);
  }

  /**
   * Revokes an active table key. ApiKeyFromEnvironment (409) for a key of API_KEYS, ApiKeyNotFound (404)
   * for no active key with this id, ValidationFailed for an id that is neither a uuid nor env-<n>.
   */
  async revoke(id: string): Promise<ApiKey> {
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
