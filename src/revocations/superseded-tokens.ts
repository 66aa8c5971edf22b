export interface TokenPair {
  accessToken: string;
  refreshToken?: string | null;
}

/**
 * What a reconnect leaves to revoke: the old tokens that the new ones do not reuse. Revocation goes by
 * the access token (Webflow, ClickFunnels 2.0) or, when there is one, the refresh token (RFC 7009
 * generic), so an old access token that is still the live one means nothing can be revoked without
 * killing the new connection: null. An old refresh token still in use is left out.
 */
export function supersededTokens(
  old: TokenPair,
  next: TokenPair,
): { accessToken: string; refreshToken?: string } | null {
  const live = new Set([next.accessToken, next.refreshToken].filter((t): t is string => Boolean(t)));
  if (live.has(old.accessToken)) return null;
  const refreshToken = old.refreshToken && !live.has(old.refreshToken) ? old.refreshToken : undefined;
  return refreshToken ? { accessToken: old.accessToken, refreshToken } : { accessToken: old.accessToken };
}
