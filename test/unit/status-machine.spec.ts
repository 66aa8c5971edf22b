import { ConnectionStatus } from '../../src/connections/connection-status';
import {
  LifecyclePolicy,
  LifecycleState,
  LifecycleEvent,
  RECONNECTED,
  REFRESHED,
  transition,
  uninstalled,
} from '../../src/connections/status-machine';

const now = new Date('2030-01-01T00:00:00.000Z');
const policy: LifecyclePolicy = {
  maxFailures: 3,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
  verifyIntervalMs: 86_400_000,
};
const state = (over: Partial<LifecycleState> = {}): LifecycleState => ({
  status: ConnectionStatus.Active,
  refreshFailures: 0,
  expiresAt: new Date(now.getTime() + 3_600_000),
  ...over,
});
const noJitter = () => 0.5;
const failed = (kind: 'invalid_grant' | 'unavailable' | 'rate_limited' | 'invalid_client', retryAfterMs?: number) =>
  ({ type: 'refresh_failed', kind, message: `token endpoint answered ${kind}`, retryAfterMs }) as const;

describe('status machine', () => {
  it('a refresh clears the failure record and makes the connection active', () => {
    const t = transition(
      state({ status: ConnectionStatus.RefreshFailed, refreshFailures: 4 }),
      { type: 'refreshed' },
      now,
      policy,
    );
    expect(t).toEqual({ status: 'active', refreshFailures: 0, nextRefreshAt: null, lastError: null });
    expect(t).toBe(REFRESHED);
  });

  it('a reconnect is a clean slate, whoami schedule included', () => {
    const t = transition(
      state({ status: ConnectionStatus.NeedsReauth, refreshFailures: 2 }),
      { type: 'reconnected' },
      now,
      policy,
    );
    expect(t).toEqual({
      status: 'active',
      refreshFailures: 0,
      nextRefreshAt: null,
      lastError: null,
      nextVerifyAt: null,
      revokedAt: null,
    });
    expect(t).toBe(RECONNECTED);
  });

  it('invalid_grant needs the user: needs_reauth, nothing scheduled, the error recorded', () => {
    const t = transition(state({ refreshFailures: 1 }), failed('invalid_grant'), now, policy);
    expect(t).toEqual({
      status: 'needs_reauth',
      refreshFailures: 2,
      nextRefreshAt: null,
      lastError: { code: 'invalid_grant', message: 'token endpoint answered invalid_grant', at: now.toISOString() },
    });
  });

  it('a transient failure keeps the status and schedules a retry with exponential backoff', () => {
    const first = transition(state(), failed('unavailable'), now, policy, noJitter);
    expect(first.status).toBeUndefined();
    expect(first.refreshFailures).toBe(1);
    expect(first.nextRefreshAt).toEqual(new Date(now.getTime() + 1000));
    const second = transition(state({ refreshFailures: 1 }), failed('unavailable'), now, policy, noJitter);
    expect(second.nextRefreshAt).toEqual(new Date(now.getTime() + 2000));
    expect(second.lastError?.code).toBe('unavailable');
  });

  it('any other provider error (invalid_client too) is retried, not a reauth', () => {
    const t = transition(state(), failed('invalid_client'), now, policy, noJitter);
    expect(t.status).toBeUndefined();
    expect(t.nextRefreshAt).not.toBeNull();
  });

  it('never retries before the Retry-After the provider gave', () => {
    const t = transition(state(), failed('rate_limited', 120_000), now, policy, noJitter);
    expect(t.nextRefreshAt).toEqual(new Date(now.getTime() + 120_000));
  });

  it('after maxFailures consecutive failures the connection is refresh_failed', () => {
    expect(transition(state({ refreshFailures: 1 }), failed('unavailable'), now, policy).status).toBeUndefined();
    expect(transition(state({ refreshFailures: 2 }), failed('unavailable'), now, policy).status).toBe('refresh_failed');
  });

  it('a failure after the access token expired makes the connection expired, whatever the count', () => {
    const expired = state({ expiresAt: new Date(now.getTime() - 1), refreshFailures: 10 });
    expect(transition(expired, failed('unavailable'), now, policy).status).toBe('expired');
    const exactlyNow = state({ expiresAt: now });
    expect(transition(exactlyNow, failed('unavailable'), now, policy).status).toBe('expired');
    const neverExpires = state({ expiresAt: null });
    expect(transition(neverExpires, failed('unavailable'), now, policy).status).toBeUndefined();
  });

  it('a successful whoami check schedules the next one and leaves status and last error alone', () => {
    const t = transition(state({ status: ConnectionStatus.Active }), { type: 'verified' }, now, policy);
    expect(t).toEqual({ lastVerifiedAt: now, nextVerifyAt: new Date(now.getTime() + policy.verifyIntervalMs) });
    expect('lastError' in t).toBe(false);
    expect('status' in t).toBe(false);
  });

  it('a whoami 401 means the token is no longer accepted: needs_reauth', () => {
    const t = transition(
      state(),
      { type: 'verify_failed', kind: 'unauthorized', message: 'API call answered 401' },
      now,
      policy,
    );
    expect(t.status).toBe('needs_reauth');
    expect(t.lastError).toEqual({ code: 'unauthorized', message: 'API call answered 401', at: now.toISOString() });
    expect(t.nextVerifyAt).toEqual(new Date(now.getTime() + policy.verifyIntervalMs));
  });

  it('any other whoami failure records the error and checks again after the base backoff', () => {
    const t = transition(
      state(),
      { type: 'verify_failed', kind: 'unavailable', message: 'API call answered 503' },
      now,
      policy,
    );
    expect(t.status).toBeUndefined();
    expect(t.lastError?.code).toBe('unavailable');
    expect(t.nextVerifyAt).toEqual(new Date(now.getTime() + policy.backoffBaseMs));
  });

  it('invalid_grant wins over an expired token and over the failure count', () => {
    const expired = state({ expiresAt: new Date(now.getTime() - 1), refreshFailures: 10 });
    expect(transition(expired, failed('invalid_grant'), now, policy).status).toBe('needs_reauth');
  });

  it('backoff stops growing at backoffMaxMs', () => {
    const t = transition(state({ refreshFailures: 30 }), failed('unavailable'), now, policy, () => 0.999);
    expect(t.nextRefreshAt).toEqual(new Date(now.getTime() + policy.backoffMaxMs));
  });

  it('every whoami outcome records when the check ran', () => {
    for (const kind of ['unauthorized', 'unavailable'] as const) {
      const t = transition(state(), { type: 'verify_failed', kind, message: 'x' }, now, policy);
      expect(t.lastVerifiedAt).toEqual(now);
    }
  });

  describe('revoked (the user uninstalled the app at the provider)', () => {
    const uninstall = { type: 'uninstalled', reason: 'app/uninstalled' } as const;
    const revokedAnswer = {
      status: 'revoked',
      refreshFailures: 0,
      nextRefreshAt: null,
      lastError: {
        code: 'uninstalled',
        message: 'The provider reported that the user uninstalled the app (app/uninstalled)',
        at: now.toISOString(),
      },
      nextVerifyAt: null,
      revokedAt: now,
      deleteTokens: true,
    };

    it.each(['active', 'refresh_failed', 'expired', 'needs_reauth'] as const)(
      'an uninstall revokes a connection that is %s: tokens deleted, nothing scheduled, the uninstall recorded',
      (status) => {
        const t = transition(state({ status, refreshFailures: 3 }), uninstall, now, policy);
        expect(t).toEqual(revokedAnswer);
        expect(uninstalled(state({ status }), now, 'app/uninstalled')).toEqual(t);
      },
    );

    it('a second uninstall report (a provider retry) changes nothing', () => {
      expect(transition(state({ status: ConnectionStatus.Revoked }), uninstall, now, policy)).toEqual({});
    });

    it('a reconnect of the account makes it active again and clears revokedAt', () => {
      const t = transition(state({ status: ConnectionStatus.Revoked }), { type: 'reconnected' }, now, policy);
      expect(t).toBe(RECONNECTED);
      expect(t).toMatchObject({ status: 'active', revokedAt: null });
      expect(t.deleteTokens).toBeUndefined();
    });

    it.each<[string, LifecycleEvent]>([
      ['a refresh', { type: 'refreshed' }],
      ['a failed refresh, invalid_grant', failed('invalid_grant')],
      ['a failed refresh, other', failed('unavailable')],
      ['a whoami ok', { type: 'verified' }],
      ['a whoami 401', { type: 'verify_failed', kind: 'unauthorized', message: 'API call answered 401' }],
    ])('%s of the deleted grant (in flight when the uninstall came) changes nothing', (_name, event) => {
      expect(transition(state({ status: ConnectionStatus.Revoked }), event, now, policy)).toEqual({});
    });

    it('the stored message keeps the reason short and is the service’s own words', () => {
      const t = uninstalled(state(), now, 'x'.repeat(500));
      expect(t.lastError?.message.length).toBeLessThan(200);
      expect(t.lastError?.message).toMatch(/^The provider reported that the user uninstalled the app \(x+\)$/);
    });
  });

  it('the fixed answers cannot be changed by a caller', () => {
    expect(Object.isFrozen(REFRESHED)).toBe(true);
    expect(Object.isFrozen(RECONNECTED)).toBe(true);
  });
});
