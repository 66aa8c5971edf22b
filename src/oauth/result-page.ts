import { escapeHtml } from '../common/html';
import { FLOW_FAILURES, FlowFailure } from '../connect-sessions/session-outcome';

/** How a browser flow can fail: the `error` of the return URL, and the error page's explanation. */
export const OAUTH_FAILURES = FLOW_FAILURES;
export type OAuthFailure = FlowFailure;

const EXPLANATIONS: Record<OAuthFailure, string> = {
  access_denied: 'The connection was not approved at the provider.',
  invalid_state:
    'This link or callback is not valid (it may have been used already). Start again from the application.',
  session_expired: 'This connect link has expired. Start again from the application.',
  provider_mismatch: 'The provider that answered is not the one this connection was started with.',
  token_exchange_failed: 'The provider did not hand over the access token. Please try again in a moment.',
  identity_failed: 'The provider did not tell us which account was connected. Please try again in a moment.',
  internal_error: 'Something went wrong on our side while saving the connection. Please try again.',
  account_mismatch:
    'You signed in to a different account at the provider than the one being reconnected. The existing connection was left as it was; start again and sign in to the same account.',
};

/**
 * The result pages' own Content-Security-Policy: no script, no subresource, only their inline style;
 * never framed (the HTTP layer adds `frame-ancestors 'none'` to any CSP that does not say it).
 */
export const RESULT_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/** The same policy plus one inline script: the one carrying `nonce` (fresh for each answer). */
export const resultPageCspWithScript = (nonce: string) =>
  `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; frame-ancestors 'none'`;

/** What the result page tells the window that opened it (docs/connect.md): never a token, code or state. */
export interface OpenerMessage {
  type: 'oauth-connections:result';
  sessionId: string;
  status: 'connected' | 'error';
  connectionId?: string;
  provider?: string;
  error?: OAuthFailure;
}

/** The page's one script: the message, to exactly `origin`, then closing the popup. */
export interface OpenerScript {
  nonce: string;
  origin: string;
  message: OpenerMessage;
}

const PAGE_STYLE =
  'body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}h1{font-size:1.4rem}code{background:#f3f3f3;padding:.1rem .3rem;overflow-wrap:anywhere}';

/** The service's small end-user pages (result pages, the hosted picker): one shell, one look. */
export function htmlPage(title: string, body: string, { style = '', head = '' } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${PAGE_STYLE}${style}</style>${head}
</head><body><main>${body}</main></body></html>`;
}

/**
 * A value for a script literal: JSON with every character that could end the script element or the
 * string (`<`, `>`, `&`, U+2028, U+2029) escaped, so no value can break out whatever it holds.
 */
export function scriptLiteral(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `window.opener.postMessage(message, origin)`, then an attempt to close the popup. */
export function openerScriptText({ origin, message }: OpenerScript): string {
  return `window.opener && window.opener.postMessage(${scriptLiteral(message)}, ${scriptLiteral(origin)});
try { window.close(); } catch (e) {}`;
}

function openerScript(script: OpenerScript | undefined): string {
  return script ? `<script nonce="${escapeHtml(script.nonce)}">${openerScriptText(script)}</script>` : '';
}

export function successPage(providerName: string, connectionId: string, script?: OpenerScript): string {
  return htmlPage(
    'Connected',
    `<h1 id="result" data-status="connected">Connected to ${escapeHtml(providerName)}</h1>
<p>You can close this window. Connection <code id="connection-id">${escapeHtml(connectionId)}</code>.</p>${openerScript(script)}`,
  );
}

export function errorPage(error: OAuthFailure, script?: OpenerScript): string {
  return htmlPage(
    'Connection failed',
    `<h1 id="result" data-status="error" data-error="${error}">The connection failed</h1>
<p>${escapeHtml(EXPLANATIONS[error])}</p><p>Error code: <code>${error}</code></p>${openerScript(script)}`,
  );
}

/** The answer of a browser that opened /oauth/* too often (http/rate-limit.ts): 429 with Retry-After. */
export function rateLimitedPage(retryAfterSeconds: number): string {
  const wait = retryAfterSeconds <= 1 ? 'a second' : `${Math.ceil(retryAfterSeconds)} seconds`;
  return htmlPage(
    'Too many attempts',
    `<h1 id="result" data-status="error" data-error="rate_limited">Too many attempts</h1>
<p>Too many connection attempts came from your network in a short time. Wait ${escapeHtml(wait)}, then start again from the application.</p><p>Error code: <code>rate_limited</code></p>`,
  );
}
