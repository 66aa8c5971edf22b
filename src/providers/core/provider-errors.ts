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
  | 'unauthorized' // an API call (whoami) answered 401: the token is no longer accepted
  | 'forbidden'; // an API call answered 403: the token is accepted but lacks a scope or permission for it

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

/**
 * The OAuth error codes a token endpoint may answer (RFC 6749 5.2, 4.1.2.1 and RFC 6750 3.1). The service
 * stores and shows a provider's error only as one of these: never the provider's own text, which may
 * echo a token or code, or carry markup into pages and webhooks.
 */
const KNOWN_OAUTH_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'server_error',
  'temporarily_unavailable',
  'invalid_token',
  'insufficient_scope',
]);

/** A provider's `error` field as a known code, or `unknown_error`. */
export function knownOAuthError(value: unknown): string {
  return typeof value === 'string' && KNOWN_OAUTH_ERRORS.has(value) ? value : 'unknown_error';
}
