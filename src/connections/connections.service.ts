import { Injectable, Logger } from '@nestjs/common';
import { ConnectionNotFound, ValidationFailed } from '../common/errors';
import { TokenCipher } from '../crypto/token-cipher';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { ConnectionEntity } from './connection.entity';
import {
  Connection,
  ConnectionList,
  DeleteConnectionResponse,
  ImportConnectionRequest,
  ListConnectionsQuery,
} from './connection.dto';
import { ConnectionsRepository } from './persistence/connections.repository';
import { decodeCursor, keysetPage } from '../common/keyset';
import { tokenContext } from './token-context';
import { tokenLifetimes } from '../providers/core/token-lifetimes';

export interface TokensToStore {
  provider: string;
  ownerId: string;
  accountId: string;
  accessToken: string;
  refreshToken?: string;
  tokenType: string;
  expiresAt: Date | null;
  refreshTokenExpiresAt: Date | null;
  scopes: string[];
  teamId?: string | null;
  teamName?: string | null;
  workspaceId?: string | null;
  workspaceName?: string | null;
  apiBaseUrl?: string | null;
  /** Replaces the metadata when given; a reconnect without it keeps the old. */
  metadata?: Record<string, unknown>;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toConnectionDto(c: ConnectionEntity): Connection {
  return {
    id: c.id,
    provider: c.provider,
    ownerId: c.ownerId,
    status: c.status,
    accountId: c.accountId,
    teamId: c.teamId,
    teamName: c.teamName,
    workspaceId: c.workspaceId,
    workspaceName: c.workspaceName,
    apiBaseUrl: c.apiBaseUrl,
    scopes: c.scopes,
    tokenType: c.tokenType,
    hasRefreshToken: c.refreshToken !== null,
    expiresAt: iso(c.expiresAt),
    refreshTokenExpiresAt: iso(c.refreshTokenExpiresAt),
    lastRefreshedAt: iso(c.lastRefreshedAt),
    nextRefreshAt: iso(c.nextRefreshAt),
    refreshFailures: c.refreshFailures,
    lastError: c.lastError,
    metadata: c.metadata,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

@Injectable()
export class ConnectionsService {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly cipher: TokenCipher,
    private readonly catalog: ProviderCatalog,
  ) {}

  private readonly logger = new Logger('Connections');

  async list(query: ListConnectionsQuery): Promise<ConnectionList> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.connections.findPage(query, query.limit + 1, after);
    return keysetPage(rows, query.limit, toConnectionDto);
  }

  async get(id: string): Promise<Connection> {
    return toConnectionDto(await this.require(id));
  }

  async replaceMetadata(id: string, metadata: Record<string, unknown>): Promise<Connection> {
    const updated = await this.connections.replaceMetadata(id, metadata);
    if (!updated) throw new ConnectionNotFound(id);
    return toConnectionDto(updated);
  }

  /**
   * Revokes at the provider where it can (Webflow, ClickFunnels 2.0, generic RFC 7009), then deletes the
   * row whatever the provider said: a provider that is down (bounded by HTTP_TIMEOUT_MS) does not block
   * the delete, it is reported as `failed`.
   */
  async delete(id: string): Promise<DeleteConnectionResponse> {
    const connection = await this.require(id);
    const providerRevocation = await this.revoke(connection);
    const deleted = await this.connections.deleteById(id);
    if (!deleted) throw new ConnectionNotFound(id);
    return { id, providerRevocation };
  }

  private async revoke(c: ConnectionEntity): Promise<DeleteConnectionResponse['providerRevocation']> {
    const provider = this.catalog.find(c.provider);
    if (!provider) return 'failed';
    if (!provider.supports.revoke) return 'unsupported';
    try {
      return await provider.revoke({
        accessToken: this.cipher.decrypt(c.accessToken, tokenContext(c.id, 'access_token')),
        refreshToken: c.refreshToken
          ? this.cipher.decrypt(c.refreshToken, tokenContext(c.id, 'refresh_token'))
          : undefined,
      });
    } catch (error) {
      this.logger.warn(
        { connectionId: c.id, provider: c.provider, reason: error instanceof Error ? error.name : 'unknown' },
        'revocation failed; deleting anyway',
      );
      return 'failed';
    }
  }

  /** Stores a token pair obtained outside a browser flow (e.g. Keap's "Generate API Token"). */
  async import(body: ImportConnectionRequest, now = new Date()): Promise<{ connection: Connection; created: boolean }> {
    const { settings: provider } = this.catalog.get(body.provider);
    if (body.expiresIn !== undefined && body.expiresAt !== undefined) {
      throw new ValidationFailed('Give expiresIn or expiresAt, not both');
    }
    const defaults = tokenLifetimes(
      provider,
      { expiresIn: body.expiresIn, hasRefreshToken: Boolean(body.refreshToken) },
      now,
    );
    const { connection, created } = await this.saveTokens({
      provider: provider.name,
      ownerId: body.ownerId,
      accountId: body.accountId ?? 'default',
      accessToken: body.accessToken,
      refreshToken: body.refreshToken,
      tokenType: body.tokenType ?? 'Bearer',
      expiresAt: body.expiresAt !== undefined ? new Date(body.expiresAt) : defaults.expiresAt,
      refreshTokenExpiresAt:
        body.refreshTokenExpiresAt !== undefined
          ? new Date(body.refreshTokenExpiresAt)
          : defaults.refreshTokenExpiresAt,
      scopes: body.scopes ?? provider.scopes,
      teamId: body.teamId,
      teamName: body.teamName,
      workspaceId: body.workspaceId,
      workspaceName: body.workspaceName,
      apiBaseUrl: body.apiBaseUrl ?? provider.apiBaseUrl,
      metadata: body.metadata,
    });
    return { connection: toConnectionDto(connection), created };
  }

  /**
   * Creates the connection of (provider, owner, account), or reconnects it: same row and id, new
   * tokens (encrypted for that id), status active. Used by import and by the browser flow.
   */
  saveTokens(input: TokensToStore): Promise<{ connection: ConnectionEntity; created: boolean }> {
    const key = { provider: input.provider, ownerId: input.ownerId, accountId: input.accountId };
    return this.connections.saveForAccount(key, (id) => ({
      accessToken: this.cipher.encrypt(input.accessToken, tokenContext(id, 'access_token')),
      refreshToken: input.refreshToken
        ? this.cipher.encrypt(input.refreshToken, tokenContext(id, 'refresh_token'))
        : null,
      tokenType: input.tokenType,
      expiresAt: input.expiresAt,
      refreshTokenExpiresAt: input.refreshTokenExpiresAt,
      scopes: input.scopes,
      teamId: input.teamId ?? null,
      teamName: input.teamName ?? null,
      workspaceId: input.workspaceId ?? null,
      workspaceName: input.workspaceName ?? null,
      apiBaseUrl: input.apiBaseUrl ?? null,
      metadata: input.metadata,
    }));
  }

  private async require(id: string): Promise<ConnectionEntity> {
    const connection = await this.connections.findById(id);
    if (!connection) throw new ConnectionNotFound(id);
    return connection;
  }
}
