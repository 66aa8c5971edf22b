import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ConnectionEntity } from '../connections/connection.entity';
import { transition } from '../connections/status-machine';
import { tokenContext } from '../connections/token-context';
import { ConnectionNotFound, ConnectionRevoked, ProviderUnavailable, VerifyNotSupported } from '../common/errors';
import { TokenCipher } from '../crypto/token-cipher';
import { ProviderError } from '../providers/core/provider-errors';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { tokenLifecycleConfig } from './token-lifecycle.config';
import { ConnectionLifecycleRepository } from '../connections/persistence/connection-lifecycle.repository';

export type VerifyResult = 'ok' | 'unauthorized' | 'unsupported' | 'failed';

/**
 * The whoami check: a 401 means the provider no longer accepts the token (revoked, uninstalled), so the
 * connection needs its user; any other failure is recorded and changes nothing else. That includes a
 * 403 (`forbidden`): the provider knew the token but refused it this call, usually a scope or permission
 * the grant lacks (RFC 6750 3.1 insufficient_scope). The token may still serve the calls the product
 * makes, and a reconnect with the same scopes would not change the answer, so it is no reason for
 * needs_reauth (PROVIDERS.md: needs_reauth "only when the provider rejects it (401 on a verify call)").
 */
@Injectable()
export class VerificationService {
  private readonly logger = new Logger('Verify');

  constructor(
    private readonly repo: ConnectionLifecycleRepository,
    private readonly catalog: ProviderCatalog,
    private readonly cipher: TokenCipher,
    @Inject(tokenLifecycleConfig.KEY) private readonly config: ConfigType<typeof tokenLifecycleConfig>,
  ) {}

  /** POST /connections/{id}/verify. */
  async verifyById(id: string): Promise<ConnectionEntity> {
    const connection = await this.repo.findById(id);
    if (!connection) throw new ConnectionNotFound(id);
    // Uninstalled at the provider: no token left to check.
    if (connection.accessToken === null) throw new ConnectionRevoked(id);
    const { result, error } = await this.check(connection);
    if (result === 'unsupported') throw new VerifyNotSupported(connection.provider);
    if (result === 'failed')
      throw new ProviderUnavailable(
        error?.message ?? 'whoami failed',
        error?.retryAfterMs ? Math.ceil(error.retryAfterMs / 1000) : undefined,
      );
    const after = await this.repo.findById(id);
    if (!after) throw new ConnectionNotFound(id);
    // Uninstalled while the call was out: the answer was about the deleted grant.
    if (after.accessToken === null) throw new ConnectionRevoked(id);
    return after;
  }

  /** Runs the whoami call and records its outcome; `leaseOwner` releases the sweep's lease. */
  async check(
    connection: ConnectionEntity,
    leaseOwner?: string,
    now = new Date(),
  ): Promise<{ result: VerifyResult; error?: ProviderError }> {
    const provider = this.catalog.find(connection.provider);
    const accessToken = connection.accessToken;
    if (!provider) return { result: 'unsupported' };
    if (accessToken === null) {
      // Revoked meanwhile (the sweep never claims revoked rows): nothing to check.
      if (leaseOwner) await this.repo.releaseLease(connection.id, leaseOwner);
      return { result: 'unsupported' };
    }
    let outcome: 'ok' | 'unsupported';
    try {
      outcome = await provider.verify(this.cipher.decrypt(accessToken, tokenContext(connection.id, 'access_token')));
    } catch (error) {
      const failure =
        error instanceof ProviderError ? error : new ProviderError('bad_response', 'whoami failed unexpectedly');
      const event = { type: 'verify_failed', kind: failure.kind, message: failure.message } as const;
      const unauthorized = failure.kind === 'unauthorized';
      if (unauthorized) {
        this.logger.warn(
          { connectionId: connection.id, provider: connection.provider },
          'provider no longer accepts the token: needs reauth',
        );
      } else if (failure.kind === 'forbidden') {
        this.logger.warn(
          { connectionId: connection.id, provider: connection.provider },
          'provider refused the whoami call (403): the grant lacks a scope or permission; status unchanged',
        );
      }
      await this.repo.recordVerification(
        connection.id,
        connection.tokenVersion,
        transition(connection, event, now, this.config),
        leaseOwner,
      );
      return { result: unauthorized ? 'unauthorized' : 'failed', error: failure };
    }
    if (outcome === 'unsupported') {
      if (leaseOwner) await this.repo.releaseLease(connection.id, leaseOwner);
      return { result: 'unsupported' };
    }
    await this.repo.recordVerification(
      connection.id,
      connection.tokenVersion,
      transition(connection, { type: 'verified' }, now, this.config),
      leaseOwner,
    );
    return { result: 'ok' };
  }
}
