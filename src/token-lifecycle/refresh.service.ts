import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ConnectionStatus } from '../connections/connection-status';
import { ConnectionEntity } from '../connections/connection.entity';
import { transition } from '../connections/status-machine';
import { tokenContext } from '../connections/token-context';
import { ConnectionNotFound, RefreshInProgress } from '../common/errors';
import { ProviderError } from '../providers/core/provider-errors';
import { grantedScopes, tokenLifetimes } from '../providers/core/token-lifetimes';
import { TokenSet } from '../providers/core/token-response';
import { MetricsService } from '../metrics/metrics.service';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { sleep } from '../common/concurrency';
import { newLeaseOwner } from '../common/lease-owner';
import { RefreshBudget } from './refresh-budget';
import { RefreshHistory } from './refresh-history';
import { tokenLifecycleConfig } from './token-lifecycle.config';
import {
  ConnectionLifecycleRepository,
  FailureRecord,
  NotStoredHook,
} from '../connections/persistence/connection-lifecycle.repository';
import { OAuthProvider } from '../providers/core/provider';
import { DecryptionError, TokenCipher } from '../crypto/token-cipher';
import { supersededTokens, TokenPair } from '../revocations/superseded-tokens';
import { TokenRevocationsRepository } from '../revocations/token-revocations.repository';
import { traceRefresh } from '../telemetry/spans';

export type RefreshOutcome =
  | { kind: 'refreshed'; connection: ConnectionEntity }
  /** No call was needed: a refresh that finished meanwhile (here or on another replica) satisfied the caller. */
  | { kind: 'current'; connection: ConnectionEntity }
  | { kind: 'failed'; connection: ConnectionEntity; error: ProviderError }
  /** The call budget or the lease did not allow a call now; nothing changed. */
  | { kind: 'deferred'; connection: ConnectionEntity };

/** Whether a connection, as it is now, already gives the caller what it asked for. */
export type Satisfied = (
  connection: Pick<ConnectionEntity, 'expiresAt' | 'lastRefreshedAt' | 'tokenVersion'>,
) => boolean;

const WRITE_ATTEMPTS = 5;

/** A failure record as one comparable value: a failure written since changes its count and its time. */
const failureMark = (row: FailureRecord): string => `${row.refreshFailures}|${row.lastError?.at ?? ''}`;

/**
 * The failure recorded on `row` since its failure record was `mark`, as the error the refresh that
 * recorded it got (its kind is `last_error.code`; a 429's wait is what remains of its backoff), or null.
 */
function failureSince(row: ConnectionEntity, mark: string): ProviderError | null {
  if (!row.lastError || failureMark(row) === mark) return null;
  const kind = row.lastError.code as ProviderError['kind'];
  const retryAfterMs =
    kind === 'rate_limited' && row.nextRefreshAt ? Math.max(0, row.nextRefreshAt.getTime() - Date.now()) : undefined;
  return new ProviderError(kind, row.lastError.message, retryAfterMs);
}

/**
 * Exactly one refresh per connection across replicas and both paths (sweep and on demand):
 * - in this process, concurrent callers share one promise (single-flight);
 * - across processes, a lease (lease_owner, lease_until) committed before the provider call;
 * - the result is written with a compare-and-set on token_version.
 * Keap rotates refresh tokens, so a second refresh with the same token would kill the connection.
 * The one window nobody can close is a crash between the provider's answer and the commit; nothing
 * but the write happens there, and a failed write is retried, never the refresh.
 */
@Injectable()
export class RefreshService {
  private readonly logger = new Logger('Refresh');
  private readonly inFlight = new Map<string, Promise<RefreshOutcome>>();
  readonly owner = newLeaseOwner();

  constructor(
    private readonly repo: ConnectionLifecycleRepository,
    private readonly catalog: ProviderCatalog,
    private readonly cipher: TokenCipher,
    private readonly budget: RefreshBudget,
    private readonly metrics: MetricsService,
    private readonly history: RefreshHistory,
    private readonly revocations: TokenRevocationsRepository,
    @Inject(tokenLifecycleConfig.KEY) private readonly config: ConfigType<typeof tokenLifecycleConfig>,
  ) {}

  /**
   * Refreshes `id` unless `satisfied` says the stored tokens already do. A caller that finds another
   * replica's live lease waits for it (up to REFRESH_WAIT_SECONDS) and gets that refresh's result.
   */
  refresh(id: string, satisfied: Satisfied): Promise<RefreshOutcome> {
    // A `refresh` span (telemetry/spans.ts); the sweep's are made where it calls refreshClaimed.
    return traceRefresh(id, 'on_demand', undefined, () =>
      this.singleFlight(id, () => this.leaseAndRefresh(id, satisfied)),
    );
  }

  /**
   * The sweep's path: the row is already leased by this replica. If an on-demand caller of this
   * process is already waiting for it, that caller is polling for exactly this lease to produce a
   * result, so the sweep runs the refresh itself instead of joining the wait (which would deadlock).
   */
  refreshClaimed(connection: ConnectionEntity, previousOwner: string | null = null): Promise<RefreshOutcome> {
    if (this.inFlight.has(connection.id)) return this.tracked(this.refreshLeased(connection, previousOwner));
    return this.singleFlight(connection.id, () => this.refreshLeased(connection, previousOwner));
  }

  /**
   * Graceful shutdown: let refreshes in flight finish and write their rotated tokens (bounded by the
   * lease), then release whatever leases remain.
   */
  async drain(): Promise<void> {
    const pending = [...this.inFlight.values(), ...this.untracked];
    if (pending.length) {
      this.logger.log({ inFlight: pending.length }, 'waiting for refreshes in flight before shutdown');
      await Promise.race([Promise.allSettled(pending), sleep(this.config.leaseMs)]);
    }
    await this.repo.releaseLeasesOf(this.owner);
  }

  private async singleFlight(id: string, run: () => Promise<RefreshOutcome>): Promise<RefreshOutcome> {
    const running = this.inFlight.get(id);
    if (running) return running;
    const promise = run().finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, promise);
    return promise;
  }

  /** Work outside the single-flight map that shutdown must still wait for. */
  private readonly untracked = new Set<Promise<RefreshOutcome>>();

  private tracked(promise: Promise<RefreshOutcome>): Promise<RefreshOutcome> {
    this.untracked.add(promise);
    return promise.finally(() => this.untracked.delete(promise));
  }

  /**
   * Takes the lease and refreshes, or waits for the holder of a live lease. A waiter answers with what
   * that holder's refresh came to: its tokens when they satisfy the caller, and its failure when it
   * failed. The signal for the failure is the row's failure record (refresh_failures, last_error.at)
   * changing after the first take that found the lease live: that take read the record in the same
   * statement that saw the lease, and a refresh writes its failure and releases its lease in one
   * transaction, so the change is a failure recorded during the wait (clocks of other replicas play no
   * part). Calling the provider again instead would repeat a refusal the caller was just waiting for
   * (a dead grant, an outage, a 429 with its Retry-After).
   */
  private async leaseAndRefresh(id: string, satisfied: Satisfied): Promise<RefreshOutcome> {
    const started = Date.now();
    /** The failure record while another holder's lease was live: the wait began there. */
    let waitedFrom: string | undefined;
    for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
      const now = new Date();
      const take = await this.repo.takeLease(
        id,
        { owner: this.owner, until: new Date(now.getTime() + this.config.leaseMs) },
        now,
      );
      if (!take) throw new ConnectionNotFound(id);
      const leased = take.leased;
      if (leased) {
        const failed = waitedFrom === undefined ? null : failureSince(leased, waitedFrom);
        if (satisfied(leased) || failed) {
          await this.repo.releaseLease(id, this.owner);
          return failed
            ? { kind: 'failed', connection: leased, error: failed }
            : { kind: 'current', connection: leased };
        }
        return this.refreshLeased(leased, take.previousOwner);
      }
      waitedFrom ??= failureMark(take.failures);
      const current = await this.repo.findById(id);
      if (!current) throw new ConnectionNotFound(id);
      if (!current.refreshToken || satisfied(current)) return { kind: 'current', connection: current };
      // The holder we waited for failed (and another took the lease since): report that, do not call again.
      const failed = failureSince(current, waitedFrom);
      if (failed) return { kind: 'failed', connection: current, error: failed };
      if (Date.now() - started >= this.config.waitMs) {
        const leftMs = current.leaseUntil ? current.leaseUntil.getTime() - Date.now() : 1000;
        throw new RefreshInProgress(Math.ceil(leftMs / 1000));
      }
      await sleep(pause);
    }
  }

  /** Provider calls out from this process, per connection (a stalled call can outlive its lease). */
  private readonly calling = new Map<string, number>();

  /**
   * @param previousOwner whose unreleased lease ours replaced (it ran out): that holder may still have
   * a call out with the same refresh token.
   */
  private async refreshLeased(
    connection: ConnectionEntity,
    previousOwner: string | null = null,
  ): Promise<RefreshOutcome> {
    const provider = this.catalog.find(connection.provider);
    if (!provider || !connection.refreshToken) {
      await this.repo.releaseLease(connection.id, this.owner);
      return { kind: 'deferred', connection };
    }
    if (!(await this.budget.take(provider.name, provider.settings.refreshRatePerSecond, this.config.budgetWaitMs))) {
      await this.repo.releaseLease(connection.id, this.owner);
      return { kind: 'deferred', connection };
    }
    if (
      !(await this.repo.confirmLease(
        connection.id,
        this.owner,
        connection.tokenVersion,
        new Date(Date.now() + this.config.leaseMs),
      ))
    ) {
      await this.repo.releaseLease(connection.id, this.owner);
      const current = (await this.repo.findById(connection.id)) ?? connection;
      return { kind: 'current', connection: current };
    }
    // Our own earlier lease only counts when this process still has a call out for the row (a sweep's
    // lease that ran out while the row waited in its batch had none).
    const tookOver =
      previousOwner !== null && (previousOwner !== this.owner || (this.calling.get(connection.id) ?? 0) > 0);
    let tokens: TokenSet;
    const timer = this.metrics.refreshDuration.startTimer({ provider: provider.name });
    try {
      tokens = await this.call(connection, provider, connection.refreshToken);
    } catch (error) {
      timer();
      const failure =
        error instanceof ProviderError ? error : new ProviderError('bad_response', 'refresh failed unexpectedly');
      if (!(error instanceof ProviderError))
        this.logger.error({ err: error, connectionId: connection.id }, 'refresh failed unexpectedly');
      this.metrics.refreshes.inc({ provider: provider.name, outcome: failure.kind });
      this.history.record(provider.name, 'failed');
      if (failure.kind === 'invalid_grant' && tookOver) {
        const theirs = await this.awaitEarlierCall(connection);
        if (theirs) return theirs;
      }
      return this.recordFailure(connection, failure);
    }
    timer();
    this.metrics.refreshes.inc({ provider: provider.name, outcome: 'refreshed' });
    this.history.record(provider.name, 'succeeded');
    return this.store(connection, provider, tokens);
  }

  /** The provider call, counted in `calling` while it is out. */
  private async call(connection: ConnectionEntity, provider: OAuthProvider, envelope: string): Promise<TokenSet> {
    const id = connection.id;
    this.calling.set(id, (this.calling.get(id) ?? 0) + 1);
    try {
      return await provider.refresh(this.cipher.decrypt(envelope, tokenContext(id, 'refresh_token')));
    } finally {
      const left = (this.calling.get(id) ?? 1) - 1;
      if (left > 0) this.calling.set(id, left);
      else this.calling.delete(id);
    }
  }

  /**
   * Our lease replaced one that ran out unreleased, and the provider refused the refresh token as
   * invalid_grant. That refusal may only mean that the earlier holder's call, still out (a replica that
   * stalled past its lease), used the token first: a rotating provider (Keap) takes a refresh token
   * once. That call's tokens are then the grant, and its write still succeeds (the version has not
   * moved). So the refusal is not written as needs_reauth at once: holding the lease, this waits up to
   * REFRESH_WAIT_SECONDS for the tokens to be replaced and answers with them. Null when nothing came:
   * the earlier holder crashed, or the grant is really dead; the caller then records the refusal (and
   * if that call's answer still comes later, it is stored all the same, since nothing moved the version).
   */
  private async awaitEarlierCall(read: ConnectionEntity): Promise<RefreshOutcome | null> {
    const deadline = Date.now() + this.config.waitMs;
    this.logger.warn(
      { connectionId: read.id, provider: read.provider },
      'invalid_grant after taking over a lease that ran out: waiting for the earlier call to store its tokens',
    );
    const held = await this.repo.confirmLease(
      read.id,
      this.owner,
      read.tokenVersion,
      new Date(deadline + this.config.leaseMs),
    );
    const outcome = await this.awaitOutcome(read, failureMark(read), this.owner, held ? deadline : 0);
    if (outcome) await this.repo.releaseLease(read.id, this.owner);
    return outcome;
  }

  /**
   * Polls the row until the tokens `read` holds are replaced (the row as it is then), a failure is
   * recorded after `mark` (that failure), `holder` no longer holds a live lease on it, or `deadline`;
   * null in the last two cases and when the row is gone.
   */
  private async awaitOutcome(
    read: ConnectionEntity,
    mark: string,
    holder: string,
    deadline: number,
  ): Promise<RefreshOutcome | null> {
    for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
      const current = await this.repo.findById(read.id);
      if (!current) return null;
      if (current.tokenVersion !== read.tokenVersion) return { kind: 'current', connection: current };
      const failed = failureSince(current, mark);
      if (failed) return { kind: 'failed', connection: current, error: failed };
      const held = current.leaseOwner === holder && (current.leaseUntil?.getTime() ?? 0) > Date.now();
      if (!held || Date.now() >= deadline) return null;
      await sleep(Math.max(1, Math.min(pause, deadline - Date.now())));
    }
  }

  /**
   * From the provider's answer to the commit: only the write, retried on database errors. The tokens
   * are stored whenever the version still allows it, even when our lease ran out meanwhile (a provider
   * that rotated the refresh token has nothing else of the grant). Tokens that are not stored (the
   * connection was deleted, or a reconnect replaced its tokens, while the refresh was at the provider)
   * are queued for revocation in the write's transaction.
   */
  private async store(
    connection: ConnectionEntity,
    provider: OAuthProvider,
    tokens: TokenSet,
  ): Promise<RefreshOutcome> {
    const now = new Date();
    const scopesOf = (t: TokenSet, requested: string[]) =>
      provider.grantedScopes?.(t, requested) ?? grantedScopes(t.scope, requested);
    const lifetimes = tokenLifetimes(
      provider.settings,
      { expiresIn: tokens.expiresIn, hasRefreshToken: Boolean(tokens.refreshToken), createdAt: tokens.raw.created_at },
      now,
    );
    const write = {
      accessToken: this.cipher.encrypt(tokens.accessToken, tokenContext(connection.id, 'access_token')),
      // A response without refresh_token keeps the old one (docs/providers.md#how-token-responses-are-read).
      refreshToken: tokens.refreshToken
        ? this.cipher.encrypt(tokens.refreshToken, tokenContext(connection.id, 'refresh_token'))
        : null,
      tokenType: tokens.tokenType,
      expiresAt: lifetimes.expiresAt,
      refreshTokenExpiresAt: lifetimes.refreshTokenExpiresAt,
      scopes: tokens.scope ? scopesOf(tokens, connection.scopes) : connection.scopes,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const written = await this.repo.saveRefreshedTokens(
          connection.id,
          connection.tokenVersion,
          this.owner,
          write,
          now,
          this.revokeUnstored(connection, provider, tokens),
        );
        const stored = await this.repo.findById(connection.id);
        if (!stored) throw new ConnectionNotFound(connection.id);
        if (!written) {
          // A reconnect, an uninstall or another refresh replaced the tokens meanwhile: theirs stand;
          // ours were queued for revocation where that is safe (revokeUnstored).
          this.logger.warn(
            { connectionId: connection.id },
            'refreshed tokens not stored: the connection changed during the refresh',
          );
          return { kind: 'current', connection: stored };
        }
        return { kind: 'refreshed', connection: stored };
      } catch (error) {
        if (error instanceof ConnectionNotFound || attempt >= WRITE_ATTEMPTS) {
          this.logger.error({ err: error, connectionId: connection.id, attempt }, 'could not store refreshed tokens');
          throw error;
        }
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  /**
   * Decides, in the transaction of a write that was not stored, whether the tokens the provider just
   * issued are queued for revocation: live tokens that nobody holds.
   * - The connection was deleted meanwhile: queued (reason `delete`) where the provider revokes, as the
   *   DELETE queues tokens a refresh stored while its own revoke call was out.
   * - A reconnect won (the token version moved on, and no refresh stored since this one read the row):
   *   queued (reason `reconnect`) only where a reconnect queues the tokens it supersedes
   *   (`supports.revoke` and `revokeSupersededTokens`), and only those the stored ones do not reuse
   *   (supersededTokens): revoking a token the stored grant still uses would end the connection.
   * - Another refresh stored first (last_refreshed_at moved; e.g. a replica that took over a lease this
   *   one lost mid-call, against a provider that does not rotate or still honours the old token): never
   *   queued. Those tokens are of the grant the row still holds, and a provider may end the whole grant
   *   when one of its tokens is revoked (RFC 7009 2.1): revoking them could kill the stored ones. They
   *   expire on their own; docs/token-lifecycle.md "Revocation" has the trade-off.
   * - The user uninstalled the app meanwhile (`revoked`): never queued; the provider ended the grant.
   * A lost lease alone (the version has not moved) never gets here: those tokens are stored.
   */
  private revokeUnstored(read: ConnectionEntity, provider: OAuthProvider, tokens: TokenSet): NotStoredHook {
    const id = read.id;
    return async (tx, current) => {
      if (!provider.supports.revoke) return;
      // Uninstalled at the provider meanwhile: the provider ended the grant, these tokens with it.
      if (current?.status === ConnectionStatus.Revoked) return;
      if (
        current !== null &&
        (current.tokenVersion === read.tokenVersion ||
          current.lastRefreshedAt?.getTime() !== read.lastRefreshedAt?.getTime())
      )
        return;
      const late: TokenPair = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
      let queued: { accessToken: string; refreshToken?: string } | null;
      if (current === null) {
        queued = late.refreshToken
          ? { accessToken: late.accessToken, refreshToken: late.refreshToken }
          : { accessToken: late.accessToken };
      } else {
        if (!provider.settings.revokeSupersededTokens) return;
        queued = supersededTokens(late, this.storedTokens(current));
      }
      if (!queued) return;
      const reason = current === null ? 'delete' : 'reconnect';
      await this.revocations.enqueue(tx, { provider: provider.name, connectionId: id, reason, ...queued });
      this.logger.warn(
        { connectionId: id, provider: provider.name, reason },
        current === null
          ? 'refreshed tokens not stored: the connection was deleted during the refresh; queued for revocation'
          : 'refreshed tokens not stored: the connection holds other tokens; queued for revocation',
      );
    };
  }

  /** The row's tokens in plaintext; none when they cannot be decrypted (then nothing of ours can be theirs to keep). */
  private storedTokens(row: ConnectionEntity): TokenPair {
    if (row.accessToken === null) return { accessToken: '' };
    try {
      return {
        accessToken: this.cipher.decrypt(row.accessToken, tokenContext(row.id, 'access_token')),
        refreshToken: row.refreshToken
          ? this.cipher.decrypt(row.refreshToken, tokenContext(row.id, 'refresh_token'))
          : null,
      };
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      return { accessToken: '' };
    }
  }

  private async recordFailure(connection: ConnectionEntity, error: ProviderError): Promise<RefreshOutcome> {
    const change = transition(
      connection,
      { type: 'refresh_failed', kind: error.kind, message: error.message, retryAfterMs: error.retryAfterMs },
      new Date(),
      this.config,
    );
    this.logger.warn(
      {
        connectionId: connection.id,
        provider: connection.provider,
        kind: error.kind,
        failures: change.refreshFailures,
        status: change.status ?? connection.status,
      },
      'refresh failed',
    );
    const recorded = await this.repo.recordRefreshFailure(connection.id, this.owner, connection.tokenVersion, change);
    const stored = (await this.repo.findById(connection.id)) ?? connection;
    if (!recorded && stored.tokenVersion !== connection.tokenVersion) {
      // A reconnect (or another holder's refresh) replaced the tokens while ours failed: they stand.
      await this.repo.releaseLease(connection.id, this.owner);
      return { kind: 'current', connection: stored };
    }
    if (!recorded && stored.leaseOwner !== null && stored.leaseOwner !== this.owner) {
      // Our lease ran out mid-call and another holder has the row, with the tokens we used: its outcome,
      // not our failure, is the connection's (a rotating provider refuses whichever call comes second).
      this.logger.warn(
        { connectionId: connection.id, provider: connection.provider, kind: error.kind },
        'refresh failed after its lease was taken over: waiting for the new holder’s outcome',
      );
      const theirs = await this.awaitOutcome(
        connection,
        failureMark(stored),
        stored.leaseOwner,
        Date.now() + this.config.waitMs,
      );
      if (theirs) return theirs;
    }
    return { kind: 'failed', connection: stored, error };
  }
}
