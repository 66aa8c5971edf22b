import { backoffDelay } from '../../src/common/backoff';
import { parseRetryAfter } from '../../src/providers/core/provider-errors';
import { readExpiresIn } from '../../src/providers/core/token-response';

describe('Retry-After', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  it.each([
    ['delta seconds', '120', 120_000],
    ['an HTTP date', 'Tue, 01 Jan 2030 00:02:00 GMT', 120_000],
    ['a date in the past', 'Mon, 31 Dec 2029 23:00:00 GMT', 0],
    ['garbage', 'soon', undefined],
    ['absent', null, undefined],
  ])('reads %s', (_name, value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('backoff', () => {
  it('grows exponentially with ±50% jitter and a cap', () => {
    expect(backoffDelay(1, 1000, 60_000, undefined, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, undefined, () => 0.5)).toBe(4000);
    expect(backoffDelay(3, 1000, 60_000, undefined, () => 0)).toBe(2000);
    expect(backoffDelay(3, 1000, 60_000, undefined, () => 0.999)).toBeLessThan(6000);
    expect(backoffDelay(30, 1000, 60_000, undefined, () => 0.999)).toBe(60_000);
  });

  it('never retries sooner than the provider asked', () => {
    expect(backoffDelay(1, 1000, 60_000, 120_000, () => 0.5)).toBe(120_000);
    expect(backoffDelay(8, 1000, 60_000, 10, () => 0.5)).toBe(60_000);
  });
});

describe('expires_in', () => {
  it.each([
    [3600, 3600],
    ['3600', 3600],
    [' 86400 ', 86400],
    [0, undefined],
    [-1, undefined],
    ['soon', undefined],
    [1e20, undefined],
    [null, undefined],
    [undefined, undefined],
  ])('%j → %j', (value, expected) => {
    expect(readExpiresIn(value, 'test')).toBe(expected);
  });
});
