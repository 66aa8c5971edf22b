import { HttpClient } from '../common/http-client';
import { AccountIdentity, CodeExchange, OAuthProvider, RevokeResult, TokenSet } from './provider';
import { ProviderHttp } from './provider-http';
import { ProviderSettings } from './provider-settings';

/**
 * What every built-in provider shares: its settings, its HTTP (ProviderHttp), and the defaults most
 * of them need (no extra authorize parameters, space-separated scopes, no revocation). Each provider
 * states only where it differs.
 */
export abstract class HttpProvider implements OAuthProvider {
  abstract readonly name: string;
  readonly scopeSeparator: string = ' ';
  protected readonly http: ProviderHttp;

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

  revoke(_tokens: { accessToken: string; refreshToken?: string }): Promise<RevokeResult> {
    return Promise.resolve('unsupported');
  }

  abstract exchangeCode(request: CodeExchange): Promise<TokenSet>;
  abstract refresh(refreshToken: string): Promise<TokenSet>;
  abstract identify(tokens: TokenSet): Promise<AccountIdentity>;
  abstract verify(accessToken: string): Promise<'ok' | 'unsupported'>;
}
