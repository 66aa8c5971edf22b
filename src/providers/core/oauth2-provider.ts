import { HttpClient } from '../../common/http-client';
import { AccountIdentity, CodeExchange, OAuthProvider, RevokeResult, TokenSet } from './provider';
import { ProviderHttpClient } from './provider-http-client';
import { ProviderSettings } from './provider-settings';

/**
 * What every built-in provider shares: its settings, its HTTP (ProviderHttpClient), and the defaults most
 * of them need (no extra authorize parameters, space-separated scopes, no revocation). Each provider
 * states only where it differs.
 */
export abstract class OAuth2Provider implements OAuthProvider {
  abstract readonly name: string;
  readonly scopeSeparator: string = ' ';
  protected readonly http: ProviderHttpClient;

  constructor(
    readonly settings: ProviderSettings,
    http: HttpClient,
  ) {
    this.http = new ProviderHttpClient(http, settings);
  }

  get supports() {
    return this.settings.supports;
  }

  authorizeParams(): Record<string, string> {
    return {};
  }

  /** The configured API base (`<P>_API_BASE_URL`): what a connection stored at connect time may be out of date. */
  apiBaseFor(_storedApiBaseUrl: string | null): string {
    return this.settings.apiBaseUrl;
  }

  revoke(_tokens: { accessToken: string; refreshToken?: string }): Promise<RevokeResult> {
    return Promise.resolve('unsupported');
  }

  abstract exchangeCode(request: CodeExchange): Promise<TokenSet>;
  abstract refresh(refreshToken: string): Promise<TokenSet>;
  abstract identify(tokens: TokenSet): Promise<AccountIdentity>;
  abstract verify(accessToken: string): Promise<'ok' | 'unsupported'>;
}
