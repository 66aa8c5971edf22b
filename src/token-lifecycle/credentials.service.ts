import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ConnectionStatus, needsUser } from '../connections/connection-status';
import { ConnectionEntity } from '../connections/connection.entity';
import { Credentials } from '../connections/connection.dto';
import { tokenContext } from '../connections/token-context';
import {
  ConnectionNeedsReauth,
  ConnectionNotFound,
  ConnectionRevoked,
  DomainError,
  ProviderUnavailable,
  RefreshNotSupported,
} from '../common/errors';
import { TokenCipher } from '../crypto/token-cipher';
import { ProviderError } from '../providers/core/provider-errors';
import { tokenLifecycleConfig } from './token-lifecycle.config';
import {
  CredentialsRow,
  ConnectionLifecycleRepository,
} from '../connections/persistence/connection-lifecycle.repository';
import { RefreshOutcome, RefreshService, Satisfied } from './refresh.service';

export interface UsableToken {
  connection: CredentialsRow;
  accessToken: string;
}

/** The API side of the token lifecycle: credentials that are valid when handed out, and forced refreshes. */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly repo: ConnectionLifecycleRepository,
    private readonly refresh: RefreshService,
    private readonly cipher: TokenCipher,
    @Inject(tokenLifecycleConfig.KEY) private readonly config: ConfigType<typeof tokenLifecycleConfig>,
  ) {}

  /**
   * The decrypted access token, refreshed first when it expires within CREDENTIALS_SKEW_SECONDS, or
   * with `force` (unless a refresh finished after this request began; then that result is returned).
   * Never the refresh token: a caller that used a rotating one would kill the connection.
   */
  async credentials(id: string, force: boolean, startedAt = new Date(), staleVersion?: string): Promise<Credentials> {
    const { connection, accessToken } = await this.usableToken(id, force, startedAt, false, staleVersion);
    return {
      accessToken,
      tokenType: connection.tokenType,
      expiresAt: connection.expiresAt ? connection.expiresAt.toISOString() : null,
      apiBaseUrl: connection.apiBaseUrl,
      scopes: connection.scopes,
      accountId: connection.accountId,
      version: String(connection.tokenVersion),
    };
  }

  /**
   * What credentials() hands out, for the service's own calls (the proxy): the connection as read and
   * its decrypted access token, valid by the same rules.
   */
  async usableToken(
    id: string,
    force: boolean,
    startedAt = new Date(),
    /** A forced refresh that fails is an error, never the current token (the proxy's 401: it was just refused). */
    strict = false,
    /**
     * With `force`: the version of the tokens the caller saw refused. Only tokens of that version are
     * refreshed; newer ones are handed out as they are (docs/token-lifecycle.md "Forced refresh by version").
     */
    staleVersion?: string,
  ): Promise<UsableToken> {
    let connection: CredentialsRow = await this.loadForCredentials(id);
    if (force && !connection.hasRefreshToken) throw new RefreshNotSupported(id);
    // The refused tokens were replaced already: the caller gets the current ones by the ordinary rule.
    if (force && staleVersion !== undefined && connection.tokenVersion !== Number(staleVersion)) force = false;
    const now = startedAt.getTime();
    const fresh: Satisfied = force
      ? staleVersion !== undefined
        ? replacedSince(staleVersion, startedAt)
        : refreshedSince(startedAt)
      : (c) => !c.expiresAt || c.expiresAt.getTime() - now > this.config.credentialsSkewMs;
    // Connections without a refresh token are served as they are (they never expire by the clock).
    if (force || (connection.hasRefreshToken && !fresh(connection))) {
      const outcome = await this.refreshRespectingRetryAfter(connection, fresh, force);
      connection = { ...outcome.connection, hasRefreshToken: outcome.connection.refreshToken !== null };
      if (outcome.kind === 'failed') {
        refuseIfNeedsUser(connection);
        if (outcome.error.kind === 'invalid_grant') throw new ConnectionNeedsReauth(id);
        // A still-valid token is served even though its refresh failed (unless it was just refused).
        if (strict || !connection.expiresAt || connection.expiresAt.getTime() <= Date.now())
          throw unavailable(outcome.error);
      }
    }
    // Also after a refresh: the uninstall may have arrived while it waited.
    const accessToken = refuseIfNeedsUser(connection);
    return { connection, accessToken: this.cipher.decrypt(accessToken, tokenContext(connection.id, 'access_token')) };
  }

  /** POST /connections/{id}/refresh: one refresh now (or the one that finished since this request began). */
  async forceRefresh(id: string, startedAt = new Date()): Promise<ConnectionEntity> {
    const connection = await this.load(id);
    if (!connection.refreshToken) throw new RefreshNotSupported(id);
    const outcome = await this.refreshRespectingRetryAfter(connection, refreshedSince(startedAt), true);
    refuseIfNeedsUser(outcome.connection);
    if (outcome.kind === 'failed') {
      if (outcome.error.kind === 'invalid_grant') throw new ConnectionNeedsReauth(id);
      throw unavailable(outcome.error);
    }
    return outcome.connection;
  }

  private async refreshRespectingRetryAfter(
    connection: Pick<ConnectionEntity, 'id' | 'lastError' | 'nextRefreshAt'>,
    fresh: Satisfied,
    force: boolean,
  ): Promise<RefreshOutcome> {
    // After a 429 the provider said when to come back: do not call before that.
    const backingOff =
      connection.lastError?.code === 'rate_limited' &&
      connection.nextRefreshAt &&
      connection.nextRefreshAt.getTime() > Date.now();
    if (backingOff) {
      const current = await this.load(connection.id);
      return {
        kind: 'failed',
        connection: current,
        error: new ProviderError(
          'rate_limited',
          connection.lastError!.message,
          connection.nextRefreshAt!.getTime() - Date.now(),
        ),
      };
    }
    const outcome = await this.refresh.refresh(connection.id, fresh);
    if (outcome.kind === 'deferred') {
      if (!force && outcome.connection.expiresAt && outcome.connection.expiresAt.getTime() > Date.now()) return outcome;
      throw new DomainError('rate_limited', 429, 'The refresh budget for this provider is used up; retry shortly', {
        'Retry-After': '1',
      });
    }
    return outcome;
  }

  private async loadForCredentials(id: string): Promise<CredentialsRow> {
    const connection = await this.repo.findForCredentials(id);
    if (!connection) throw new ConnectionNotFound(id);
    refuseIfNeedsUser(connection);
    return connection;
  }

  private async load(id: string): Promise<ConnectionEntity> {
    const connection = await this.repo.findById(id);
    if (!connection) throw new ConnectionNotFound(id);
    refuseIfNeedsUser(connection);
    return connection;
  }
}

/**
 * 409 for a connection whose tokens are not handed out: `connection_revoked` after an uninstall (no
 * tokens left), `connection_needs_reauth` when the grant is dead. Otherwise its access token envelope.
 */
export function refuseIfNeedsUser(connection: Pick<ConnectionEntity, 'id' | 'status' | 'accessToken'>): string {
  if (connection.status === ConnectionStatus.Revoked || connection.accessToken === null)
    throw new ConnectionRevoked(connection.id);
  if (needsUser(connection.status)) throw new ConnectionNeedsReauth(connection.id);
  return connection.accessToken;
}

const refreshedSince =
  (startedAt: Date): Satisfied =>
  (c) =>
    c.lastRefreshedAt !== null && c.lastRefreshedAt.getTime() >= startedAt.getTime();

/**
 * Satisfied once the tokens are no longer `version` (a refresh or a reconnect replaced them, however
 * long ago), or were refreshed since `startedAt`: one refresh per refused token, whenever its callers come.
 */
const replacedSince =
  (version: string, startedAt: Date): Satisfied =>
  (c) =>
    c.tokenVersion !== Number(version) || refreshedSince(startedAt)(c);

function unavailable(error: ProviderError): ProviderUnavailable {
  return new ProviderUnavailable(
    error.kind,
    error.retryAfterMs !== undefined ? Math.ceil(error.retryAfterMs / 1000) : undefined,
  );
}
