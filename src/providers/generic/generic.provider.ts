import { HttpClient } from '../../common/http-client';
import { ProviderError } from '../core/provider-errors';
import { AccountIdentity, CodeExchange, RevokeResult, TokenSet } from '../core/provider';
import { OAuth2Provider } from '../core/oauth2-provider';
import { BodyFormat, ClientAuth } from '../core/provider-http-client';
import { ProviderSettings } from '../core/provider-settings';
import { GenericProviderOptions } from './generic.config';

/** Reads `a.b.c` out of a JSON object. */
function fieldAt(source: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined),
      source,
    );
}

/**
 * Any RFC 6749 authorization-code provider from PROVIDERS_FILE: client authentication per RFC 6749
 * 2.3.1 (Basic or body) or a JSON body, optional PKCE (RFC 7636), refresh, RFC 7009 revocation, and
 * the account id from a userinfo response or the token response.
 */
export class GenericProvider extends OAuth2Provider {
  readonly name: string;
  override readonly scopeSeparator: string;
  private readonly options: GenericProviderOptions;
  private readonly format: BodyFormat;
  private readonly clientAuth: ClientAuth;

  constructor(settings: ProviderSettings, http: HttpClient) {
    super(settings, http);
    this.options = settings.extra.generic as GenericProviderOptions;
    this.name = settings.name;
    this.scopeSeparator = this.options.scopeSeparator;
    this.format = this.options.clientAuth === 'json' ? 'json' : 'form';
    this.clientAuth = this.options.clientAuth === 'client_secret_basic' ? 'basic' : 'body';
  }

  exchangeCode({ code, redirectUri, codeVerifier }: CodeExchange): Promise<TokenSet> {
    return this.http.token(
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier },
      this.format,
      this.clientAuth,
    );
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.http.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, this.format, this.clientAuth);
  }

  /** RFC 7009: revoking the refresh token ends the whole grant where the server supports it. */
  override async revoke({
    accessToken,
    refreshToken,
  }: {
    accessToken: string;
    refreshToken?: string;
  }): Promise<RevokeResult> {
    if (!this.settings.revokeUrl) return 'unsupported';
    const fields = refreshToken
      ? { token: refreshToken, token_type_hint: 'refresh_token' }
      : { token: accessToken, token_type_hint: 'access_token' };
    return this.http.revoke(fields, 'form', this.clientAuth);
  }

  async verify(accessToken: string): Promise<'ok' | 'unsupported'> {
    if (!this.options.userinfoUrl) return 'unsupported';
    await this.http.api('GET', this.options.userinfoUrl, accessToken);
    return 'ok';
  }

  async identify(tokens: TokenSet): Promise<AccountIdentity> {
    const field = this.options.accountIdField;
    if (!field) return { accountId: 'default' };
    const source = this.options.userinfoUrl
      ? await this.http.api('GET', this.options.userinfoUrl, tokens.accessToken)
      : tokens.raw;
    const value = fieldAt(source, field);
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new ProviderError('bad_response', `The account id field "${field}" is missing`);
    return { accountId: String(value) };
  }
}
