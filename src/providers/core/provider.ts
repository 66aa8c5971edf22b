import { TokenSet } from './token-response';
import { ProviderEvents } from './provider-events';
import { ProviderCapabilities, ProviderSettings } from './provider-settings';

export type { TokenSet };

/** Who the tokens belong to at the provider: the connection's unique key and descriptive fields. */
export interface AccountIdentity {
  /** Provider-side identity; 'default' where the provider has none (docs/providers.md, per provider). */
  accountId: string;
  teamId?: string | null;
  teamName?: string | null;
  workspaceId?: string | null;
  workspaceName?: string | null;
  /** Per-connection API base (ClickFunnels 2.0 workspace_url); else the provider's API base is used. */
  apiBaseUrl?: string | null;
}

export type RevokeResult = 'revoked' | 'failed' | 'unsupported';

export interface CodeExchange {
  code: string;
  redirectUri: string;
  codeVerifier?: string;
}

/**
 * The contract every provider implements. The Passport strategy is the browser-facing half (redirect,
 * state, callback); it hands the code to `exchangeCode` and the result to `identify`, so the same wire
 * code serves the flow, the refresh sweep and the tests. Every method throws ProviderError on failure.
 */
export interface OAuthProvider {
  readonly name: string;
  readonly settings: ProviderSettings;
  readonly supports: ProviderCapabilities;
  /** How scopes are joined on the authorize URL (' ' per RFC 6749; ',' for Lightfunnels). */
  readonly scopeSeparator: string;
  /** Authorize parameters beyond client_id, redirect_uri, response_type, scope, state and PKCE. */
  authorizeParams(): Record<string, string>;
  exchangeCode(request: CodeExchange): Promise<TokenSet>;
  refresh(refreshToken: string): Promise<TokenSet>;
  revoke(tokens: { accessToken: string; refreshToken?: string }): Promise<RevokeResult>;
  /** The account the tokens belong to, from the token response or a whoami call. */
  identify(tokens: TokenSet): Promise<AccountIdentity>;
  /**
   * Checks that the provider still accepts the access token (its whoami call). Throws
   * ProviderError('unauthorized') on 401, 'forbidden' on 403 (the token lacks a scope or permission for
   * the call: not a dead token); 'unsupported' where the provider documents no such call.
   */
  verify(accessToken: string): Promise<'ok' | 'unsupported'>;
  /**
   * Where a connection's API calls go (the proxy): the provider's configured API base, or a
   * per-connection base the provider vouches for now (ClickFunnels 2.0's workspace, re-checked on use).
   */
  apiBaseFor(storedApiBaseUrl: string | null): string;
  /** Scopes as granted, where the provider's `scope` needs reading (Keap's `full|app…`). */
  grantedScopes?(tokens: TokenSet, requested: string[]): string[];
  /** Its inbound events (webhooks), where the service receives them (providers/<name>/<name>.events.ts). */
  readonly events?: ProviderEvents;
}
