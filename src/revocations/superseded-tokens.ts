export interface TokenPair {
  accessToken: string;
  refreshToken?: string | null;
}

/**
 * What a reconnect leaves to revoke: the old tokens, unless the new ones still use any of them (a
 * provider may revoke a token's siblings with it, RFC 7009 2.1): then nothing, to keep the new
 * connection alive.
 */
export function supersededTokens(
  old: TokenPair,
  next: TokenPair,
): { accessToken: string; refreshToken?: string } | null {
  const live = new Set([next.accessToken, next.refreshToken].filter((t): t is string => Boolean(t)));
  if (live.has(old.accessToken) || (old.refreshToken && live.has(old.refreshToken))) return null;
  return old.refreshToken
    ? { accessToken: old.accessToken, refreshToken: old.refreshToken }
    : { accessToken: old.accessToken };
}
