import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConnectionNotFound, ValidationFailed } from '../common/errors';
import { DecryptionError, TokenCipher } from '../crypto/token-cipher';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { ConnectionHooks } from './connection-hooks';
import { ConnectionStatus } from './connection-status';
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
import { supersededTokens } from '../revocations/superseded-tokens';
import { TokenRevocationsRepository } from '../revocations/token-revocations.repository';

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

/** A connection's tokens in plaintext, as a provider's revoke takes them. */
type PlainTokens = { accessToken: string; refreshToken?: string };

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
    // last_verified_at is written by every whoami check, failed ones too (the status machine's
    // verify_failed): a check whose failure is the last error, at the same instant, is not a verification.
    lastVerifiedAt:
      c.lastVerifiedAt && c.lastError?.at !== c.lastVerifiedAt.toISOString() ? c.lastVerifiedAt.toISOString() : null,
    refreshFailures: c.refreshFailures,
    lastError: c.lastError,
    revokedAt: iso(c.revokedAt),
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
    private readonly revocations: TokenRevocationsRepository,
    private readonly hooks: ConnectionHooks,
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
   * Unregisters the connection's webhooks at the provider first (they need its token), then revokes
   * where the provider can (Webflow, ClickFunnels 2.0, generic RFC 7009), then deletes the row whatever
   * the provider said: a provider that is down (bounded by HTTP_TIMEOUT_MS) does not block the delete.
   * A `failed` revocation is queued, in the delete's transaction, for the revocation worker to retry; so
   * are tokens a refresh or reconnect stored while the revoke call was out. When webhooks could not be
   * unregistered, their removals are queued with the token and its revocation is `queued` behind them.
   */
  async delete(id: string): Promise<DeleteConnectionResponse> {
    const connection = await this.require(id);
    const prepared = await this.hooks.prepareDelete(connection);
    const providerRevocation = prepared.holdRevocation
      ? this.deferredRevocation(connection)
      : await this.revoke(connection);
    const deleted = await this.connections.deleteById(id, async (tx, row) => {
      const changedSince = row.tokenVersion !== connection.tokenVersion;
      if (
        providerRevocation === 'failed' ||
        providerRevocation === 'queued' ||
        (providerRevocation === 'revoked' && changedSince)
      )
        await this.queueRevocation(tx, row, 'delete', (tokens) => tokens);
      await prepared.inTransaction(tx, row);
    });
    if (!deleted) throw new ConnectionNotFound(id);
    return { id, providerRevocation, subscriptions: prepared.subscriptions };
  }

  /** The revocation's answer when it must wait for the webhook removals: queued, where there is one to make. */
  private deferredRevocation(c: ConnectionEntity): DeleteConnectionResponse['providerRevocation'] {
    if (c.accessToken === null) return 'revoked';
    const provider = this.catalog.find(c.provider);
    if (provider && !provider.supports.revoke) return 'unsupported';
    return 'queued';
  }

  private async revoke(c: ConnectionEntity): Promise<DeleteConnectionResponse['providerRevocation']> {
    // Uninstalled at the provider: the grant is already ended there, and no token is left to revoke.
    if (c.accessToken === null) return 'revoked';
    const provider = this.catalog.find(c.provider);
    if (!provider) return 'failed';
    if (!provider.supports.revoke) return 'unsupported';
    try {
      const tokens = this.decryptTokens(c);
      return tokens ? await provider.revoke(tokens) : 'revoked';
    } catch (error) {
      this.logger.warn(
        { connectionId: c.id, provider: c.provider, reason: error instanceof Error ? error.name : 'unknown' },
        'revocation failed; deleting anyway and queueing it for retry',
      );
      return 'failed';
    }
  }

  /** The row's tokens in plaintext; null when it has none (revoked). */
  private decryptTokens(c: ConnectionEntity): PlainTokens | null {
    if (c.accessToken === null) return null;
    return {
      accessToken: this.cipher.decrypt(c.accessToken, tokenContext(c.id, 'access_token')),
      refreshToken: c.refreshToken
        ? this.cipher.decrypt(c.refreshToken, tokenContext(c.id, 'refresh_token'))
        : undefined,
    };
  }

  /**
   * Queues the row's stored tokens (or the part `select` keeps) for the revocation worker, in `tx`. Tokens
   * that cannot be decrypted cannot be revoked either: logged, and the change goes ahead.
   */
  private async queueRevocation(
    tx: EntityManager,
    row: ConnectionEntity,
    reason: 'reconnect' | 'delete',
    select: (stored: PlainTokens) => PlainTokens | null,
  ): Promise<void> {
    let stored: PlainTokens | null;
    try {
      stored = this.decryptTokens(row);
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      this.logger.warn(
        { connectionId: row.id, provider: row.provider, reason },
        'stored tokens cannot be decrypted; not queued for revocation',
      );
      return;
    }
    // A revoked row has no tokens: nothing to queue.
    if (!stored) return;
    const tokens = select(stored);
    if (!tokens) return;
    await this.revocations.enqueue(tx, { provider: row.provider, connectionId: row.id, reason, ...tokens });
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
   * tokens (encrypted for that id), status active. Used by import and by the browser flow. Where the
   * provider revokes, a reconnect queues the tokens it supersedes (those the new ones do not reuse) in
   * its transaction; the revocation worker revokes them, never this request.
   */
  async saveTokens(
    input: TokensToStore,
  ): Promise<{ connection: ConnectionEntity; created: boolean; revived: boolean }> {
    const key = { provider: input.provider, ownerId: input.ownerId, accountId: input.accountId };
    const provider = this.catalog.find(input.provider);
    const revokes = provider?.supports.revoke === true && provider.settings.revokeSupersededTokens;
    let revived = false;
    const onReconnect = async (tx: EntityManager, previous: ConnectionEntity) => {
      // The user had uninstalled the app: what was registered for it at the provider may be gone.
      revived = previous.status === ConnectionStatus.Revoked;
      if (revokes) await this.queueRevocation(tx, previous, 'reconnect', (old) => supersededTokens(old, input));
    };
    const saved = await this.connections.saveForAccount(
      key,
      (id) => ({
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
      }),
      onReconnect,
    );
    return { ...saved, revived };
  }

  private async require(id: string): Promise<ConnectionEntity> {
    const connection = await this.connections.findById(id);
    if (!connection) throw new ConnectionNotFound(id);
    return connection;
  }
}
