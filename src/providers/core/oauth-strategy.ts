import { PassportStrategy } from '@nestjs/passport';
import { Strategy as OAuth2Strategy, StrategyOptions } from 'passport-oauth2';
import { OAuthProvider } from './provider';
import { TokenSet } from './token-response';

/**
 * passport-oauth2's state store as it calls it: `store(req, verifier, state, meta, cb)` and
 * `verify(req, state, meta, cb)` (PKCE arity). The browser flow (oauth/) provides it under
 * FLOW_STATE_STORE, so providers need not know where states are kept.
 */
export interface FlowStateStore {
  store(...args: unknown[]): void;
  verify(...args: unknown[]): void;
}

export const FLOW_STATE_STORE = Symbol('FLOW_STATE_STORE');

type TokenCallback = (
  err: unknown,
  accessToken?: string,
  refreshToken?: string,
  params?: { tokenSet: TokenSet },
) => void;

interface OAuth2Client {
  getOAuthAccessToken(code: string, params: Record<string, string>, callback: TokenCallback): void;
}

/**
 * The Passport strategy class for one provider name. passport-oauth2 builds the authorize redirect and
 * drives the state store; its own token call (the `oauth` package: form body only, no timeout,
 * follows redirects) is replaced by the provider's `exchangeCode`, and no user profile is fetched:
 * identity comes from the provider's `identify`.
 */
export function oauthStrategyClass(name: string) {
  // callbackArity=true: Nest passes validate() as many arguments as it declares (here: with params).
  class ProviderStrategy extends PassportStrategy(OAuth2Strategy, name, true) {
    constructor(
      readonly provider: OAuthProvider,
      store: FlowStateStore,
      callbackURL: string,
    ) {
      const options: StrategyOptions = {
        authorizationURL: provider.settings.authorizeUrl,
        tokenURL: provider.settings.tokenUrl,
        clientID: provider.settings.clientId ?? '',
        clientSecret: provider.settings.clientSecret ?? '',
        callbackURL,
        scopeSeparator: provider.scopeSeparator,
        // passport-oauth2's typings only know the 2- and 3-argument store; it calls ours with 5 (PKCE).
        store: store,
        pkce: provider.supports.pkce,
        state: true,
        skipUserProfile: true,
      };
      super(options);
      (this as unknown as { _oauth2: OAuth2Client })._oauth2.getOAuthAccessToken = (code, params, callback) => {
        provider.exchangeCode({ code, redirectUri: params.redirect_uri, codeVerifier: params.code_verifier }).then(
          (tokenSet) => callback(null, tokenSet.accessToken, tokenSet.refreshToken, { tokenSet }),
          (error: unknown) => callback(error),
        );
      };
    }

    /** Extra authorize parameters (e.g. ClickFunnels' new_installation=true). */
    override authorizationParams(): object {
      return this.provider.authorizeParams();
    }

    validate(_accessToken: string, _refreshToken: string, params: { tokenSet: TokenSet }, _profile: unknown): TokenSet {
      return params.tokenSet;
    }
  }
  return ProviderStrategy;
}

export type ProviderStrategyClass = ReturnType<typeof oauthStrategyClass>;
