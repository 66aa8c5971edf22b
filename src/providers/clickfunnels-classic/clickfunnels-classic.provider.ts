import { HttpClient } from '../../common/http-client';
import { AccountIdentity, CodeExchange, OAuthProvider, RevokeResult, TokenSet } from '../provider';
import { ProviderHttp } from '../provider-http';
import { ProviderSettings } from '../provider-settings';

/**
 * ClickFunnels Classic (PROVIDERS.md, seed 001): JSON token and refresh calls with the client
 * credentials in the body. No documented identity or whoami: one connection per owner.
 */
export class ClickfunnelsClassicProvider implements OAuthProvider {
  readonly name = 'clickfunnels-classic';
  readonly scopeSeparator = ' ';
  private readonly http: ProviderHttp;

  constructor(
    readonly settings: ProviderSettings,
    http: HttpClient,
  ) {
    this.http = new ProviderHttp(http, settings);
  }

  get supports() {
    return this.settings.supports;
  }

  authorizeParams(): Record<string, string> {
    return {};
  }

  exchangeCode({ code, redirectUri }: CodeExchange): Promise<TokenSet> {
    return this.http.token({ code, grant_type: 'authorization_code', redirect_uri: redirectUri }, 'json');
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.http.token({ refresh_token: refreshToken, grant_type: 'refresh_token' }, 'json');
  }

  async revoke(): Promise<RevokeResult> {
    return 'unsupported';
  }

  /** No whoami is documented for the Classic API. */
  async verify(): Promise<'unsupported'> {
    return 'unsupported';
  }

  async identify(): Promise<AccountIdentity> {
    return { accountId: 'default' };
  }
}
