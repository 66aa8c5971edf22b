import { ProviderError } from '../core/provider-errors';
import { AccountIdentity, CodeExchange, TokenSet } from '../core/provider';
import { OAuth2Provider } from '../core/oauth2-provider';
import { lightfunnelsEvents, lightfunnelsRegistration } from './lightfunnels.events';

interface AccountQuery {
  data?: { account?: { id?: string | number } };
}

/**
 * Lightfunnels (docs/providers.md#lightfunnels): comma-separated scopes; the token call is a JSON
 * `{client_id, client_secret, code}` (no grant_type, no redirect_uri), or the code with HTTP Basic
 * client auth on the older endpoint (LIGHTFUNNELS_CLIENT_AUTH=basic). Tokens are permanent.
 */
export class LightfunnelsProvider extends OAuth2Provider {
  readonly name = 'lightfunnels';
  readonly events = { ...lightfunnelsEvents(this.settings), ...lightfunnelsRegistration(this.http) };
  override readonly scopeSeparator = ',';

  exchangeCode({ code }: CodeExchange): Promise<TokenSet> {
    const basic = this.settings.extra.LIGHTFUNNELS_CLIENT_AUTH === 'basic';
    return this.http.token({ code }, 'json', basic ? 'basic' : 'body');
  }

  refresh(): Promise<TokenSet> {
    return Promise.reject(new ProviderError('rejected', 'Lightfunnels tokens are permanent and cannot be refreshed'));
  }

  async verify(accessToken: string): Promise<'ok'> {
    await this.identify({ accessToken, tokenType: 'Bearer', raw: {} });
    return 'ok';
  }

  /** The GraphQL whoami: `{ account { id } }`. */
  async identify(tokens: TokenSet): Promise<AccountIdentity> {
    const result = await this.http.api<AccountQuery>('POST', this.settings.apiBaseUrl, tokens.accessToken, {
      query: '{ account { id } }',
    });
    const id = result?.data?.account?.id;
    if (id === undefined || id === null || id === '')
      throw new ProviderError('bad_response', 'Lightfunnels account query returned no id');
    return { accountId: String(id) };
  }
}
