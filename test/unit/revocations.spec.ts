import { ConfigError } from '../../src/config/env';
import { loadRevocationsConfig } from '../../src/revocations/revocations.config';
import { supersededTokens } from '../../src/revocations/superseded-tokens';

describe('supersededTokens: what a reconnect leaves to revoke', () => {
  it('the old tokens when the new ones are different', () => {
    expect(
      supersededTokens({ accessToken: 'a1', refreshToken: 'r1' }, { accessToken: 'a2', refreshToken: 'r2' }),
    ).toEqual({ accessToken: 'a1', refreshToken: 'r1' });
    expect(supersededTokens({ accessToken: 'a1' }, { accessToken: 'a2' })).toEqual({ accessToken: 'a1' });
  });

  it('nothing when the access token is still the live one', () => {
    expect(supersededTokens({ accessToken: 'a1' }, { accessToken: 'a1' })).toBeNull();
    expect(
      supersededTokens({ accessToken: 'a1', refreshToken: 'r1' }, { accessToken: 'a1', refreshToken: 'r2' }),
    ).toBeNull();
    expect(supersededTokens({ accessToken: 'a1' }, { accessToken: 'a2', refreshToken: 'a1' })).toBeNull();
  });

  it('nothing when the new grant still uses the old refresh token (revoking the old access token may take its siblings with it)', () => {
    expect(
      supersededTokens({ accessToken: 'a1', refreshToken: 'r1' }, { accessToken: 'a2', refreshToken: 'r1' }),
    ).toBeNull();
    expect(supersededTokens({ accessToken: 'a1', refreshToken: 'a2' }, { accessToken: 'a2' })).toBeNull();
  });
});

describe('revocations config', () => {
  const problems = (env: Record<string, string>): string => {
    try {
      loadRevocationsConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('has defaults: every 30 s, retried for 72 hours, backoff from 60 s up to 6 h, a lease of at least a minute', () => {
    expect(loadRevocationsConfig({})).toEqual({
      intervalMs: 30_000,
      giveUpMs: 72 * 3_600_000,
      retryBaseMs: 60_000,
      retryMaxMs: 21_600_000,
      leaseMs: 60_000,
    });
    expect(loadRevocationsConfig({ REVOCATION_GIVE_UP_HOURS: '720' }).giveUpMs).toBe(30 * 86_400_000);
  });

  it('refuses REVOCATION_MAX_ATTEMPTS (the horizon is a span now), naming its replacement, whatever its value', () => {
    for (const value of ['8', '3', 'x'])
      expect(problems({ REVOCATION_MAX_ATTEMPTS: value })).toMatch(
        /REVOCATION_MAX_ATTEMPTS: replaced by REVOCATION_GIVE_UP_HOURS/,
      );
    // Set but empty counts as unset, as for every variable.
    expect(loadRevocationsConfig({ REVOCATION_MAX_ATTEMPTS: ' ' }).giveUpMs).toBe(72 * 3_600_000);
  });

  it('0 turns the worker off', () => {
    expect(loadRevocationsConfig({ REVOCATION_INTERVAL_SECONDS: '0' }).intervalMs).toBe(0);
  });

  it('the lease outlives two HTTP timeouts; the cap is never below the base', () => {
    expect(loadRevocationsConfig({ HTTP_TIMEOUT_MS: '45000' }).leaseMs).toBe(90_000);
    expect(
      loadRevocationsConfig({ REVOCATION_RETRY_BASE_SECONDS: '600', REVOCATION_RETRY_MAX_SECONDS: '60' }).retryMaxMs,
    ).toBe(600_000);
  });

  it.each([
    ['REVOCATION_INTERVAL_SECONDS', '-1'],
    ['REVOCATION_INTERVAL_SECONDS', 'soon'],
    ['REVOCATION_GIVE_UP_HOURS', '0'],
    ['REVOCATION_GIVE_UP_HOURS', '721'],
    ['REVOCATION_GIVE_UP_HOURS', '1.5'],
    ['REVOCATION_RETRY_BASE_SECONDS', '1.5'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(problems({ [name]: value })).toContain(name);
  });
});
