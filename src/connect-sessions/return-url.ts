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

/**
 * The opener page's origin a browser named (`origin=` on the connect link), when it is the origin of
 * an ALLOWED_RETURN_URLS entry: only the bare origin (`https://app.example.com`, a trailing slash
 * allowed), compared after parsing; anything with a path, query, user info or another scheme is null.
 */
export function allowedOrigin(candidate: string, allowed: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return null;
  if (candidate.replace(/\/$/, '').toLowerCase() !== url.origin.toLowerCase()) return null;
  return allowed.some((entry) => new URL(entry).origin === url.origin) ? url.origin : null;
}
