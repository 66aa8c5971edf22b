import { grantedScopes, tokenLifetimes } from '../../src/providers/core/token-lifetimes';

const now = new Date('2030-01-01T00:00:00.000Z');
const nowSeconds = now.getTime() / 1000;
const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('tokenLifetimes', () => {
  const none = { accessTokenLifetimeSeconds: undefined, refreshTokenLifetimeDays: undefined };
  const keapLike = { accessTokenLifetimeSeconds: 86_400, refreshTokenLifetimeDays: 45 };

  describe('access token', () => {
    it('counts expires_in from now without created_at', () => {
      expect(tokenLifetimes(none, { expiresIn: 3600, hasRefreshToken: false }, now).expiresAt).toEqual(at(HOUR));
    });

    it('lets expires_in win over the documented lifetime', () => {
      expect(tokenLifetimes(keapLike, { expiresIn: 600, hasRefreshToken: false }, now).expiresAt).toEqual(at(600_000));
    });

    it('counts from a plausible created_at (seconds since the epoch, Doorkeeper)', () => {
      const tokens = { expiresIn: 7200, hasRefreshToken: false, createdAt: nowSeconds - 600 };
      expect(tokenLifetimes(none, tokens, now).expiresAt).toEqual(at(7200_000 - 600_000));
    });

    it('accepts a created_at slightly in the future (clock skew)', () => {
      const tokens = { expiresIn: 3600, hasRefreshToken: false, createdAt: nowSeconds + 30 };
      expect(tokenLifetimes(none, tokens, now).expiresAt).toEqual(at(HOUR + 30_000));
    });

    it.each([
      ['two days old', nowSeconds - 2 * 86_400],
      ['exactly a day old', nowSeconds - 86_400],
      ['a day ahead', nowSeconds + 86_400],
      ['in milliseconds', now.getTime()],
      ['a numeric string', String(nowSeconds - 600)],
      ['an ISO string', new Date(now.getTime() - 600_000).toISOString()],
      ['null', null],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
    ])('ignores a created_at that is %s and counts from now', (_name, createdAt) => {
      const tokens = { expiresIn: 3600, hasRefreshToken: false, createdAt };
      expect(tokenLifetimes(none, tokens, now).expiresAt).toEqual(at(HOUR));
    });

    it('falls back to the documented lifetime without expires_in, counted from now', () => {
      const tokens = { hasRefreshToken: false, createdAt: nowSeconds - 600 };
      expect(tokenLifetimes(keapLike, tokens, now).expiresAt).toEqual(at(DAY));
    });

    it('does not expire without expires_in or a documented lifetime', () => {
      expect(tokenLifetimes(none, { hasRefreshToken: true }, now).expiresAt).toBeNull();
    });
  });

  describe('refresh token', () => {
    it('expires at the documented horizon from now when there is one', () => {
      const tokens = { expiresIn: 3600, hasRefreshToken: true, createdAt: nowSeconds - 600 };
      expect(tokenLifetimes(keapLike, tokens, now).refreshTokenExpiresAt).toEqual(at(45 * DAY));
    });

    it('has no expiry without a refresh token or without a horizon', () => {
      expect(tokenLifetimes(keapLike, { hasRefreshToken: false }, now).refreshTokenExpiresAt).toBeNull();
      expect(tokenLifetimes(none, { hasRefreshToken: true }, now).refreshTokenExpiresAt).toBeNull();
    });
  });

  it('does not touch `now`', () => {
    const before = now.getTime();
    tokenLifetimes(keapLike, { expiresIn: 60, hasRefreshToken: true }, now);
    expect(now.getTime()).toBe(before);
  });
});

describe('grantedScopes', () => {
  const requested = ['read', 'write'];

  it.each([
    ['space separated', 'a b', ['a', 'b']],
    ['comma separated', 'a,b', ['a', 'b']],
    ['comma and space', 'a, b ,c', ['a', 'b', 'c']],
    ['with surrounding blanks', '  a\tb\n', ['a', 'b']],
    ['a single scope', 'sites:read', ['sites:read']],
  ])('reads a %s scope', (_name, scope, expected) => {
    expect(grantedScopes(scope, requested)).toEqual(expected);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['only separators', ' , '],
  ])('falls back to the requested scopes when the scope is %s', (_name, scope) => {
    expect(grantedScopes(scope, requested)).toEqual(requested);
  });

  it('reports fewer scopes than requested when the provider granted fewer', () => {
    expect(grantedScopes('read', requested)).toEqual(['read']);
  });
});
