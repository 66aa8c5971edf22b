import { ProviderError } from '../core/provider-errors';
import { AccountIdentity, CodeExchange, TokenSet } from '../core/provider';
import { OAuth2Provider } from '../core/oauth2-provider';
import { keapEvents, keapRegistration } from './keap.events';

interface KeapUserInfo {
  global_user_id?: string | number;
  infusionsoft_id?: string;
}

/**
 * Keap / Infusionsoft (docs/providers.md#keap): form-urlencoded token calls; the code exchange
 * carries the client credentials in the body, the refresh in an HTTP Basic header. Every refresh
 * rotates the refresh token. No revoke endpoint.
 */
export class KeapProvider extends OAuth2Provider {
  readonly name = 'keap';
  readonly events = { ...keapEvents, ...keapRegistration(this.http) };

  exchangeCode({ code, redirectUri }: CodeExchange): Promise<TokenSet> {
    return this.http.token({ code, grant_type: 'authorization_code', redirect_uri: redirectUri }, 'form');
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.http.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, 'form', 'basic');
  }

  async verify(accessToken: string): Promise<'ok'> {
    await this.http.api('GET', `${this.settings.apiBaseUrl}/oauth/connect/userinfo`, accessToken);
    return 'ok';
  }

  grantedScopes(tokens: TokenSet, requested: string[]): string[] {
    // `full|ab123.infusionsoft.com`: the grantable scope is the part before `|`.
    const scopes = tokens.scope
      ?.split(/\s+/)
      .filter(Boolean)
      .map((s) => s.split('|')[0]);
    return scopes && scopes.length ? scopes : requested;
  }

  /**
   * A user may belong to several Keap apps; the token's scope names the one granted:
   * `full|ab123.infusionsoft.com` → account `ab123`. Without it, ask userinfo.
   */
  async identify(tokens: TokenSet): Promise<AccountIdentity> {
    const app = keapAppFromScope(tokens.scope);
    if (app) return { accountId: app };
    const info = await this.http.api<KeapUserInfo>(
      'GET',
      `${this.settings.apiBaseUrl}/oauth/connect/userinfo`,
      tokens.accessToken,
    );
    const fallback = keapAppFromScope(`|${info.infusionsoft_id ?? ''}`) ?? info.infusionsoft_id ?? info.global_user_id;
    if (fallback === undefined || fallback === '')
      throw new ProviderError('bad_response', 'Keap userinfo has no infusionsoft_id or global_user_id');
    return { accountId: String(fallback) };
  }
}

export function keapAppFromScope(scope: string | undefined): string | undefined {
  const match = /\|([A-Za-z0-9-]+)\.infusionsoft\.com/.exec(scope ?? '');
  return match?.[1];
}
