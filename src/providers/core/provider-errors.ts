/**
 * What can go wrong when talking to a provider, as types the flow, the refresh logic and the API can
 * act on. Messages carry the provider's error code and HTTP status, never tokens, codes or bodies.
 */
export type ProviderErrorKind =
  | 'invalid_grant' // the grant (code or refresh token) is dead: the user must reconnect
  | 'invalid_client' // our client credentials are wrong: configuration, not the user
  | 'rate_limited' // 429
  | 'unavailable' // 5xx
  | 'timeout'
  | 'network'
  | 'bad_response' // not JSON, no access_token, a redirect…
  | 'rejected' // any other 4xx / OAuth error
  | 'unauthorized'; // an API call (whoami) answered 401: the token is no longer accepted

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    /** When the provider said to try again (Retry-After), in ms from now. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A provider's error_description, reduced to something safe to store and show. */
export function safeDescription(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value.replace(/[^\w .,:;'()/-]/g, '').slice(0, 200);
}
