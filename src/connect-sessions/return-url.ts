/**
 * A return URL is allowed when it has the same origin as an ALLOWED_RETURN_URLS entry and its path
 * starts with the entry's path at a segment boundary ("/app" allows "/app" and "/app/x", not "/apple").
 * Compared after URL parsing, so tricks like "https://good.test@evil.test" or "//evil.test" fail.
 */
export function isAllowedReturnUrl(candidate: string, allowed: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return false;
  return allowed.some((entry) => {
    const base = new URL(entry);
    if (base.origin !== url.origin) return false;
    const prefix = base.pathname.replace(/\/+$/, '');
    return prefix === '' || url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
  });
}

/** `base` with extra query parameters, keeping the ones it already has. */
export function withQuery(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}
