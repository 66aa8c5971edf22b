import { performance } from 'node:perf_hooks';
import type { UsableToken } from '../token-lifecycle/credentials.service';

interface Entry {
  token: UsableToken;
  /** performance.now() until which the entry may be used: its read began at most PROXY_TOKEN_CACHE_MS before. */
  until: number;
  /** Date.now() from which the token must not be used as it is: CREDENTIALS_SKEW_SECONDS before it expires (refreshable tokens). */
  refreshAt: number;
}

export interface ProxyTokenCacheOptions {
  /** How long after its read began an entry may be used (PROXY_TOKEN_CACHE_MS); 0 keeps nothing. */
  ttlMs: number;
  /** CREDENTIALS_SKEW_SECONDS in ms: a refreshable token this close to its expiry is read (and refreshed) instead. */
  skewMs: number;
  /** Most entries kept (the oldest go first). */
  maxEntries?: number;
  /** Monotonic clock (ms), for tests. */
  now?: () => number;
  /** Wall clock (ms), for tests. */
  wallNow?: () => number;
}

/**
 * The proxy's per-replica memory of each connection's usable token (the connection's routing facts and
 * its decrypted access token, as CredentialsService.usableToken read them), so that calls in a burst
 * need no row read and no decrypt. Bounded in time: an entry is used for at most `ttlMs` after the read
 * it came from began, so a token that was refreshed, replaced by a reconnect or revoked elsewhere (the
 * sweep, another replica, an uninstall, a DELETE) is not sent after that, and nothing is kept at all
 * for a refreshable token within `skewMs` of its expiry (that call reads, and refreshes, as every call
 * did). Entries are dropped once they run out (by sweep(), which the proxy runs every `ttlMs`). Bounded in
 * size: at most `maxEntries`, the oldest dropped first.
 *
 * The proxy replaces an entry with what it reads after a provider's 401 (set), or drops it when the 401
 * goes back to the caller (delete): a token the provider refused is never used from here again.
 */
export class ProxyTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly skewMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly wallNow: () => number;

  constructor(options: ProxyTokenCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.skewMs = options.skewMs;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? (() => performance.now());
    this.wallNow = options.wallNow ?? Date.now;
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** The monotonic time to pass to set() as the start of a read (taken before the read). */
  readStarted(): number {
    return this.now();
  }

  /** The connection's token, if an entry is still within its bounds. */
  get(connectionId: string): UsableToken | undefined {
    const entry = this.entries.get(connectionId);
    if (!entry) return undefined;
    if (this.now() < entry.until && this.wallNow() < entry.refreshAt) return entry.token;
    this.entries.delete(connectionId);
    return undefined;
  }

  /**
   * Keeps `token`, read by a read that began at `readStartedAt` (readStarted()), unless what is kept is of
   * a newer token version (a slower read of older tokens must not replace a renewal's).
   */
  set(connectionId: string, token: UsableToken, readStartedAt: number): void {
    if (this.ttlMs <= 0) return;
    const until = readStartedAt + this.ttlMs;
    if (until <= this.now()) return;
    const { connection } = token;
    const refreshAt =
      connection.hasRefreshToken && connection.expiresAt
        ? connection.expiresAt.getTime() - this.skewMs
        : Number.POSITIVE_INFINITY;
    if (refreshAt <= this.wallNow()) return;
    const kept = this.entries.get(connectionId);
    if (kept && kept.token.connection.tokenVersion > connection.tokenVersion) return;
    // Re-inserted, so the first entry is the oldest (dropped first when the map is full).
    if (kept) this.entries.delete(connectionId);
    else if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(connectionId, { token, until, refreshAt });
  }

  delete(connectionId: string): void {
    this.entries.delete(connectionId);
  }

  /** Drops the entries that ran out (the proxy calls it every ttlMs, so none is kept much longer). */
  sweep(): void {
    const now = this.now();
    const wall = this.wallNow();
    for (const [id, entry] of this.entries) if (entry.until <= now || entry.refreshAt <= wall) this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
