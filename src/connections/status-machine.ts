import { backoffDelay } from '../common/backoff';
import type { ProviderErrorKind } from '../providers/core/provider-errors';
import { ConnectionStatus, LastError } from './connection-status';

/** What happened to a connection's tokens. */
export type LifecycleEvent =
  | { type: 'refreshed' }
  | { type: 'refresh_failed'; kind: ProviderErrorKind; message: string; retryAfterMs?: number }
  | { type: 'verified' }
  | { type: 'verify_failed'; kind: ProviderErrorKind; message: string }
  | { type: 'reconnected' }
  /**
   * The provider reported that the user uninstalled (disconnected) the app: the grant is gone at the
   * provider. `reason` names what reported it (the provider's uninstall event, e.g. `app/uninstalled`):
   * the service's own words, never text from the provider's payload.
   */
  | { type: 'uninstalled'; reason: string };

/** The part of a connection the machine reads. */
export interface LifecycleState {
  status: ConnectionStatus;
  refreshFailures: number;
  expiresAt: Date | null;
}

export interface LifecyclePolicy {
  /** Consecutive failures after which a connection is `refresh_failed`. */
  maxFailures: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Between two whoami checks of a connection without refresh token. */
  verifyIntervalMs: number;
}

/**
 * The columns an event changes. A field that is absent keeps its stored value (a successful whoami
 * check leaves the status and `lastError` as they were); `null` clears it.
 */
export interface Transition {
  status?: ConnectionStatus;
  refreshFailures?: number;
  nextRefreshAt?: Date | null;
  lastError?: LastError | null;
  lastVerifiedAt?: Date;
  nextVerifyAt?: Date | null;
  /** When the user ended the grant at the provider (`revoked`); `null` clears it (a reconnect). */
  revokedAt?: Date | null;
  /** The stored tokens go: access and refresh token and their expiry times are written NULL. */
  deleteTokens?: true;
}

/** New tokens from the provider: the failure record is cleared. */
export const REFRESHED: Readonly<Transition> = Object.freeze({
  status: ConnectionStatus.Active,
  refreshFailures: 0,
  nextRefreshAt: null,
  lastError: null,
});

/** New tokens from the user: a clean slate; the sweep schedules the new token's first whoami check. */
export const RECONNECTED: Readonly<Transition> = Object.freeze({
  status: ConnectionStatus.Active,
  refreshFailures: 0,
  nextRefreshAt: null,
  lastError: null,
  nextVerifyAt: null,
  revokedAt: null,
});

/** `last_error.code` of a connection whose user uninstalled the app at the provider. */
export const UNINSTALLED_CODE = 'uninstalled';

/** How long the `reason` of an uninstall may be in the stored message. */
const REASON_MAX_LENGTH = 100;

/** Nothing changes. */
const UNCHANGED: Readonly<Transition> = Object.freeze({});

/**
 * The user uninstalled the app at the provider (what `transition` answers for `uninstalled`, for the
 * persistence code that has no policy to pass): `revoked`, tokens deleted, nothing scheduled, the row
 * kept (with `revokedAt`) so a reconnect of the same account revives it under the same id. A connection
 * that is already revoked does not change (a provider's retry of the event).
 */
export function uninstalled(state: Pick<LifecycleState, 'status'>, now: Date, reason: string): Transition {
  if (state.status === ConnectionStatus.Revoked) return UNCHANGED;
  return {
    status: ConnectionStatus.Revoked,
    refreshFailures: 0,
    nextRefreshAt: null,
    lastError: {
      code: UNINSTALLED_CODE,
      message: `The provider reported that the user uninstalled the app (${reason.slice(0, REASON_MAX_LENGTH)})`,
      at: now.toISOString(),
    },
    nextVerifyAt: null,
    revokedAt: now,
    deleteTokens: true,
  };
}

/**
 * The status machine of a connection: for each event, the new status and the counters and schedule it
 * causes. Pure; the refresh service asks it about failed refreshes, the whoami check about its
 * outcomes, and the persistence code writes REFRESHED and RECONNECTED (what `transition` answers for
 * those events) with the new tokens, and an uninstall's answer with the tokens deleted.
 * docs/architecture.md has the table.
 */
export function transition(
  state: LifecycleState,
  event: LifecycleEvent,
  now: Date,
  policy: LifecyclePolicy,
  random: () => number = Math.random,
): Transition {
  // A revoked connection has no tokens: no refresh or whoami outcome applies to it (one that was in
  // flight when the uninstall arrived is about the deleted grant), and a second uninstall report (a
  // provider's retry) changes nothing. Only a reconnect leaves `revoked`.
  if (state.status === ConnectionStatus.Revoked && event.type !== 'reconnected') return UNCHANGED;
  switch (event.type) {
    case 'refreshed':
      return REFRESHED;
    case 'reconnected':
      return RECONNECTED;
    case 'uninstalled':
      return uninstalled(state, now, event.reason);
    case 'refresh_failed': {
      const failures = state.refreshFailures + 1;
      const lastError = { code: event.kind, message: event.message, at: now.toISOString() };
      // The grant is dead: only the user can fix it, by reconnecting. Nothing to retry.
      if (event.kind === 'invalid_grant') {
        return { status: ConnectionStatus.NeedsReauth, refreshFailures: failures, nextRefreshAt: null, lastError };
      }
      const delay = backoffDelay(failures, policy.backoffBaseMs, policy.backoffMaxMs, event.retryAfterMs, random);
      const status = failedRefreshStatus(state, failures, now, policy);
      return {
        ...(status ? { status } : {}),
        refreshFailures: failures,
        nextRefreshAt: new Date(now.getTime() + delay),
        lastError,
      };
    }
    case 'verified':
      return {
        lastVerifiedAt: now,
        nextVerifyAt: new Date(now.getTime() + policy.verifyIntervalMs),
      };
    case 'verify_failed': {
      const lastError = { code: event.kind, message: event.message, at: now.toISOString() };
      // 401: the provider no longer accepts the token (revoked, app uninstalled).
      if (event.kind === 'unauthorized') {
        return {
          status: ConnectionStatus.NeedsReauth,
          lastError,
          lastVerifiedAt: now,
          nextVerifyAt: new Date(now.getTime() + policy.verifyIntervalMs),
        };
      }
      // Anything else says nothing about the token: record it and check again soon.
      return {
        lastError,
        lastVerifiedAt: now,
        nextVerifyAt: new Date(now.getTime() + policy.backoffBaseMs),
      };
    }
  }
}

/** A refresh that failed for a reason other than a dead grant. */
function failedRefreshStatus(
  state: LifecycleState,
  failures: number,
  now: Date,
  policy: LifecyclePolicy,
): ConnectionStatus | undefined {
  if (state.expiresAt !== null && state.expiresAt.getTime() <= now.getTime()) return ConnectionStatus.Expired;
  if (failures >= policy.maxFailures) return ConnectionStatus.RefreshFailed;
  return undefined;
}
