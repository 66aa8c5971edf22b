import { ProviderError } from '../core/provider-errors';
import { AccountIdentity, CodeExchange, RevokeResult, TokenSet } from '../core/provider';
import { OAuth2Provider } from '../core/oauth2-provider';
import { webflowEvents, webflowRegistration } from './webflow.events';

/**
 * Webflow (docs/providers.md#webflow): scopes space-separated and encoded %20 on the authorize URL; the
 * token call must repeat redirect_uri (else invalid_grant); tokens never expire and are revoked with
 * revoke_authorization. The account is the authorizing user (an authorization id changes every grant).
 */
export class WebflowProvider extends OAuth2Provider {
  readonly name = 'webflow';
  readonly events = { ...webflowEvents(this.settings), ...webflowRegistration(this.http) };

  exchangeCode({ code, redirectUri }: CodeExchange): Promise<TokenSet> {
    return this.http.token({ code, grant_type: 'authorization_code', redirect_uri: redirectUri }, 'json');
  }

  refresh(): Promise<TokenSet> {
    return Promise.reject(new ProviderError('rejected', 'Webflow tokens do not expire and cannot be refreshed'));
  }

  override async revoke({ accessToken }: { accessToken: string }): Promise<RevokeResult> {
    const { clientId, clientSecret } = this.http.credentials();
    return this.http.revoke({ client_id: clientId, client_secret: clientSecret, access_token: accessToken }, 'json');
  }

  async verify(accessToken: string): Promise<'ok'> {
    await this.http.api('GET', `${this.settings.apiBaseUrl}/token/authorized_by`, accessToken);
    return 'ok';
  }

  async identify(tokens: TokenSet): Promise<AccountIdentity> {
    const user = await this.http.api<{ id?: string }>(
      'GET',
      `${this.settings.apiBaseUrl}/token/authorized_by`,
      tokens.accessToken,
    );
    if (!user?.id) throw new ProviderError('bad_response', 'Webflow authorized_by returned no user id');
    return { accountId: String(user.id) };
  }
}
