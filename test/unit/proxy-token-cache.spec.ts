import { ProxyTokenCache } from '../../src/proxy/proxy-token-cache';
import type { UsableToken } from '../../src/token-lifecycle/credentials.service';

/**
 * The proxy's per-replica token memory, on a hand-driven clock: an entry is used for at most ttlMs
 * after the read it came from began, never within the credentials skew of a refreshable token's
 * expiry, never replaced by an older token version, and dropped (from memory too) once it runs out.
 */
describe('ProxyTokenCache', () => {
  const TTL = 1000;
  const SKEW = 300_000;
  const WALL = Date.parse('2026-12-06T10:00:00Z');
  let mono: number;
  let wall: number;

  beforeEach(() => {
    mono = 50_000;
    wall = WALL;
  });

  const cache = (options: { ttlMs?: number; maxEntries?: number } = {}) =>
    new ProxyTokenCache({
      ttlMs: options.ttlMs ?? TTL,
      skewMs: SKEW,
      maxEntries: options.maxEntries,
      now: () => mono,
      wallNow: () => wall,
    });

  const token = (
    accessToken: string,
    { version = 1, expiresInMs = 3_600_000, refreshable = true, status = 'active' } = {},
  ): UsableToken =>
    ({
      accessToken,
      connection: {
        id: 'c1',
        provider: 'keap',
        status,
        tokenVersion: version,
        hasRefreshToken: refreshable,
        expiresAt: expiresInMs === undefined ? null : new Date(wall + expiresInMs),
      },
    }) as unknown as UsableToken;

  it('is used for ttlMs after its read began, and not a moment longer', () => {
    const c = cache();
    const readStarted = c.readStarted();
    mono += 40; // the read took 40 ms
    c.set('c1', token('AT-1'), readStarted);
    expect(c.get('c1')?.accessToken).toBe('AT-1');
    mono = readStarted + TTL - 1;
    expect(c.get('c1')?.accessToken).toBe('AT-1');
    mono = readStarted + TTL;
    expect(c.get('c1')).toBeUndefined();
    // And it is gone: a later get does not find it again.
    mono = readStarted;
    expect(c.get('c1')).toBeUndefined();
  });

  it('keeps nothing from a read that began ttlMs ago or more, or with ttlMs 0', () => {
    const c = cache();
    const readStarted = c.readStarted();
    mono += TTL;
    c.set('c1', token('AT-1'), readStarted);
    expect(c.size).toBe(0);
    const off = cache({ ttlMs: 0 });
    expect(off.enabled).toBe(false);
    off.set('c1', token('AT-1'), off.readStarted());
    expect(off.get('c1')).toBeUndefined();
  });

  it('never keeps a refreshable token within the credentials skew of its expiry: that call reads (and refreshes)', () => {
    const c = cache();
    c.set('c1', token('AT-due', { expiresInMs: SKEW }), c.readStarted());
    expect(c.get('c1')).toBeUndefined();
    // Kept while it is outside the skew, and not a moment past it (even within ttlMs).
    c.set('c1', token('AT-1', { expiresInMs: SKEW + 500 }), c.readStarted());
    expect(c.get('c1')?.accessToken).toBe('AT-1');
    wall += 499;
    expect(c.get('c1')?.accessToken).toBe('AT-1');
    wall += 1;
    expect(c.get('c1')).toBeUndefined();
  });

  it('a token without a refresh token is kept whatever its expiry (credentials serve it as it is)', () => {
    const c = cache();
    c.set('c1', token('AT-1', { refreshable: false, expiresInMs: -60_000 }), c.readStarted());
    expect(c.get('c1')?.accessToken).toBe('AT-1');
  });

  it('an older token version never replaces a newer one; the same version does (a status change), and so does a newer one', () => {
    const c = cache();
    const slowRead = c.readStarted();
    c.set('c1', token('AT-2', { version: 2 }), c.readStarted());
    c.set('c1', token('AT-1', { version: 1 }), slowRead);
    expect(c.get('c1')?.accessToken).toBe('AT-2');
    c.set('c1', token('AT-2', { version: 2, status: 'refresh_failed' }), c.readStarted());
    expect(c.get('c1')?.connection.status).toBe('refresh_failed');
    c.set('c1', token('AT-3', { version: 3 }), c.readStarted());
    expect(c.get('c1')?.accessToken).toBe('AT-3');
  });

  it('a replaced entry runs from its own read: the newer read sets a new bound', () => {
    const c = cache();
    c.set('c1', token('AT-1'), c.readStarted());
    mono += 600;
    const second = c.readStarted();
    c.set('c1', token('AT-2', { version: 2 }), second);
    mono = second + TTL - 1;
    expect(c.get('c1')?.accessToken).toBe('AT-2');
    mono = second + TTL;
    expect(c.get('c1')).toBeUndefined();
  });

  it('delete drops an entry at once (a 401 that goes back to the caller)', () => {
    const c = cache();
    c.set('c1', token('AT-1'), c.readStarted());
    c.delete('c1');
    expect(c.get('c1')).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const c = cache({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c']) c.set(id, token(`AT-${id}`), c.readStarted());
    // Replacing an entry makes it the newest.
    c.set('a', token('AT-a2', { version: 2 }), c.readStarted());
    c.set('d', token('AT-d'), c.readStarted());
    expect(c.size).toBe(3);
    expect(c.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((id) => c.get(id)?.accessToken)).toEqual(['AT-a2', 'AT-c', 'AT-d']);
  });

  it('sweep drops every entry that ran out (by time or by expiry), from memory', () => {
    const c = cache();
    c.set('old', token('AT-old'), c.readStarted());
    mono += 500;
    c.set('new', token('AT-new'), c.readStarted());
    c.set('due', token('AT-due', { expiresInMs: SKEW + 100 }), c.readStarted());
    mono += 600; // `old` ran out; `new` has 400 ms left
    wall += 100; // `due` is within the skew now
    c.sweep();
    expect(c.size).toBe(1);
    expect(c.get('new')?.accessToken).toBe('AT-new');
    mono += 400;
    c.sweep();
    expect(c.size).toBe(0);
  });
});
