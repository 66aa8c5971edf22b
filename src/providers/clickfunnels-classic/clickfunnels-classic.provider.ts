import { AccountIdentity, CodeExchange, TokenSet } from '../core/provider';
import { OAuth2Provider } from '../core/oauth2-provider';

/**
 * ClickFunnels Classic (docs/providers.md#clickfunnels-classic): JSON token and refresh calls with the client
 * credentials in the body. No documented identity or whoami: one connection per owner. No `events`:
 * Classic documents no webhook registration or signature (funnel webhooks are set up by hand in its UI).
 */
export class ClickfunnelsClassicProvider extends OAuth2Provider {
  readonly name = 'clickfunnels-classic';

  exchangeCode({ code, redirectUri }: CodeExchange): Promise<TokenSet> {
    return this.http.token({ code, grant_type: 'authorization_code', redirect_uri: redirectUri }, 'json');
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.http.token({ refresh_token: refreshToken, grant_type: 'refresh_token' }, 'json');
  }

  /** No whoami is documented for the Classic API. */
  verify(): Promise<'unsupported'> {
    return Promise.resolve('unsupported');
  }

  identify(): Promise<AccountIdentity> {
    return Promise.resolve({ accountId: 'default' });
  }
}
