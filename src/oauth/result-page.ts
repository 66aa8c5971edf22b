import { escapeHtml } from '../common/html';

/** How a browser flow can fail: the `error` of the return URL, and the error page's explanation. */
export const OAUTH_FAILURES = [
  'access_denied',
  'invalid_state',
  'session_expired',
  'provider_mismatch',
  'token_exchange_failed',
  'identity_failed',
  'internal_error',
] as const;
export type OAuthFailure = (typeof OAUTH_FAILURES)[number];

const EXPLANATIONS: Record<OAuthFailure, string> = {
  access_denied: 'The connection was not approved at the provider.',
  invalid_state:
    'This link or callback is not valid (it may have been used already). Start again from the application.',
  session_expired: 'This connect link has expired. Start again from the application.',
  provider_mismatch: 'The provider that answered is not the one this connection was started with.',
  token_exchange_failed: 'The provider did not hand over the access token. Please try again in a moment.',
  identity_failed: 'The provider did not tell us which account was connected. Please try again in a moment.',
  internal_error: 'Something went wrong on our side while saving the connection. Please try again.',
};

/**
 * The result pages' own Content-Security-Policy: no script, no subresource, only their inline style;
 * never framed (the HTTP layer adds `frame-ancestors 'none'` to any CSP that does not say it).
 */
export const RESULT_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328}h1{font-size:1.4rem}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head><body>${body}</body></html>`;
}

export function successPage(providerName: string, connectionId: string): string {
  return page(
    'Connected',
    `<h1 id="result" data-status="connected">Connected to ${escapeHtml(providerName)}</h1>
<p>You can close this window. Connection <code id="connection-id">${escapeHtml(connectionId)}</code>.</p>`,
  );
}

export function errorPage(error: OAuthFailure): string {
  return page(
    'Connection failed',
    `<h1 id="result" data-status="error" data-error="${error}">The connection failed</h1>
<p>${escapeHtml(EXPLANATIONS[error])}</p><p>Error code: <code>${error}</code></p>`,
  );
}

/** The answer of a browser that opened /oauth/* too often (http/rate-limit.ts): 429 with Retry-After. */
export function rateLimitedPage(retryAfterSeconds: number): string {
  const wait = retryAfterSeconds <= 1 ? 'a second' : `${Math.ceil(retryAfterSeconds)} seconds`;
  return page(
    'Too many attempts',
    `<h1 id="result" data-status="error" data-error="rate_limited">Too many attempts</h1>
<p>Too many connection attempts came from your network in a short time. Wait ${escapeHtml(wait)}, then start again from the application.</p><p>Error code: <code>rate_limited</code></p>`,
  );
}
