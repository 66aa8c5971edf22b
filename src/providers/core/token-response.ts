import { Logger } from '@nestjs/common';
import { HttpResponse } from '../../common/http-client';
import { knownOAuthError, parseRetryAfter, ProviderError } from './provider-errors';

/** A successful token response, normalised. `raw` keeps the provider-specific fields (team_id, scope…). */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  tokenType: string;
  /** Seconds, already checked: a positive number, or undefined when absent or unusable. */
  expiresIn?: number;
  scope?: string;
  raw: Record<string, unknown>;
}

const logger = new Logger('TokenResponse');
const MAX_EXPIRES_IN = 10 * 365 * 86_400;

/**
 * docs/providers.md#how-token-responses-are-read: expires_in as a number or numeric string is used; 0, negative or non-numeric is
 * ignored like absent (with a warning). Never fail a connect because of it.
 */
export function readExpiresIn(value: unknown, provider: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)
        ? Number(value)
        : NaN;
  // Above ten years is not a lifetime but a bug (and would overflow a date): ignored like the rest.
  if (Number.isFinite(n) && n > 0 && n <= MAX_EXPIRES_IN) return Math.floor(n);
  logger.warn({ provider }, 'ignoring unusable expires_in in token response');
  return undefined;
}

/** The message is the service's own words around a known error code; error_description is never kept. */
function oauthError(status: number, error: string, retryAfterMs?: number): ProviderError {
  const message = `Token endpoint answered ${status} ${error}`;
  if (error === 'invalid_grant') return new ProviderError('invalid_grant', message);
  if (error === 'invalid_client' || error === 'unauthorized_client')
    return new ProviderError('invalid_client', message);
  if (status === 429) return new ProviderError('rate_limited', message, retryAfterMs);
  if (status >= 500) return new ProviderError('unavailable', message, retryAfterMs);
  return new ProviderError('rejected', message);
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns a token endpoint's answer into a TokenSet or a typed ProviderError. Handles what docs/providers.md#how-token-responses-are-read
 * lists: non-JSON, missing access_token, 200 with an `error` field, redirects, 429 with Retry-After
 * (seconds or HTTP date) and 5xx.
 */
export function parseTokenResponse(res: HttpResponse, provider: string): TokenSet {
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
  if (res.status >= 300 && res.status < 400) {
    throw new ProviderError('bad_response', `Token endpoint answered with a redirect (${res.status})`);
  }
  const body = parseJson(res.text);
  if (res.status === 429)
    throw new ProviderError('rate_limited', 'Token endpoint answered 429 (rate limited)', retryAfterMs);
  if (res.status >= 500) throw new ProviderError('unavailable', `Token endpoint answered ${res.status}`, retryAfterMs);
  if (res.status >= 400) {
    const error = typeof body?.error === 'string' ? knownOAuthError(body.error) : `http_${res.status}`;
    throw oauthError(res.status, error, retryAfterMs);
  }
  if (!body) throw new ProviderError('bad_response', `Token endpoint answered ${res.status} without a JSON object`);
  if (typeof body.error === 'string') throw oauthError(res.status, knownOAuthError(body.error));
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new ProviderError('bad_response', 'Token endpoint answered without an access_token');
  }
  return {
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : undefined,
    tokenType:
      typeof body.token_type === 'string' && /^[A-Za-z][\w.-]{0,31}$/.test(body.token_type)
        ? normaliseTokenType(body.token_type)
        : 'Bearer',
    expiresIn: readExpiresIn(body.expires_in, provider),
    scope: typeof body.scope === 'string' ? body.scope : undefined,
    raw: body,
  };
}

/** RFC 6749 token_type is case-insensitive; "bearer" and "Bearer" are the same. */
function normaliseTokenType(value: string): string {
  return value.toLowerCase() === 'bearer' ? 'Bearer' : value;
}
