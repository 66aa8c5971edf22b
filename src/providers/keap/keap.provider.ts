import { ProviderError } from '../core/provider-errors';
import { AccountIdentity, CodeExchange, TokenSet } from '../core/provider';
import { OAuth2Provider } from '../core/oauth2-provider';
import { keapEvents, keapRegistration } from './keap.events';

/** What userinfo may answer: read as unknown, since a field may be empty, null or of another type. */
interface KeapUserInfo {
  global_user_id?: unknown;
  infusionsoft_id?: unknown;
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
   * `full|ab123.infusionsoft.com` → account `ab123`. Without it, ask userinfo: its `infusionsoft_id`
   * (the app, `ab123.infusionsoft.com` or bare), else `global_user_id`. An empty or blank value is no
   * id: it falls through to the next field, and an answer with neither is `bad_response`, so `""` never
   * becomes an account id (all of an owner's Keap connections would collapse onto it).
   */
  async identify(tokens: TokenSet): Promise<AccountIdentity> {
    const app = keapAppFromScope(tokens.scope);
    if (app) return { accountId: app };
    const info = await this.http.api<KeapUserInfo | null>(
      'GET',
      `${this.settings.apiBaseUrl}/oauth/connect/userinfo`,
      tokens.accessToken,
    );
    const accountId = infusionsoftApp(info?.infusionsoft_id) ?? idText(info?.global_user_id);
    if (accountId === undefined)
      throw new ProviderError('bad_response', 'Keap userinfo has no infusionsoft_id or global_user_id');
    return { accountId };
  }
}

/** The app of a userinfo `infusionsoft_id`: `ab123.infusionsoft.com` → `ab123`, a bare `ab123` as it is. */
function infusionsoftApp(value: unknown): string | undefined {
  const id = idText(value);
  if (id === undefined) return undefined;
  // Only the domain, with no app before it: as empty as "".
  if (/^\.?infusionsoft\.com$/i.test(id.trim())) return undefined;
  return keapAppFromScope(`|${id}`) ?? id;
}

/** A string with something besides white space, or a whole number, as text; anything else is no id. */
function idText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() ? value : undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

export function keapAppFromScope(scope: string | undefined): string | undefined {
  const match = /\|([A-Za-z0-9-]+)\.infusionsoft\.com/.exec(scope ?? '');
  return match?.[1];
}
