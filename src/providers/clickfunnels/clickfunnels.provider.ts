import { Logger } from '@nestjs/common';
import { ProviderError } from '../core/provider-errors';
import { AccountIdentity, CodeExchange, RevokeResult, TokenSet } from '../core/provider';
import { OAuth2Provider } from '../core/oauth2-provider';
import { clickfunnelsEvents, clickfunnelsRegistration } from './clickfunnels.events';

const logger = new Logger('ClickFunnels');

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : null);

/**
 * ClickFunnels 2.0 (docs/providers.md#clickfunnels-20): a Doorkeeper server. The authorize URL carries
 * `grant_type=authorization_code` and `new_installation=true` as the seed shows; the token call is
 * JSON; the response names the team and workspace the user picked. No refresh token.
 */
export class ClickfunnelsProvider extends OAuth2Provider {
  readonly name = 'clickfunnels';
  readonly events = { ...clickfunnelsEvents(this.settings), ...clickfunnelsRegistration(this.http) };

  override authorizeParams(): Record<string, string> {
    return { grant_type: 'authorization_code', new_installation: 'true' };
  }

  exchangeCode({ code, redirectUri, codeVerifier }: CodeExchange): Promise<TokenSet> {
    return this.http.token(
      { code, grant_type: 'authorization_code', redirect_uri: redirectUri, code_verifier: codeVerifier },
      'json',
    );
  }

  /** "If a refresh_token ever arrives, use it" (docs/providers.md#clickfunnels-20): Doorkeeper's standard refresh grant. */
  refresh(refreshToken: string): Promise<TokenSet> {
    return this.http.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, 'json');
  }

  override async revoke({ accessToken }: { accessToken: string }): Promise<RevokeResult> {
    const { clientId, clientSecret } = this.http.credentials();
    return this.http.revoke({ token: accessToken, client_id: clientId, client_secret: clientSecret }, 'form');
  }

  /** docs/providers.md#clickfunnels-20: GET /api/v2/teams with the token (and a User-Agent, which every call sends). */
  async verify(accessToken: string): Promise<'ok'> {
    await this.http.api('GET', `${this.settings.apiBaseUrl}/teams`, accessToken);
    return 'ok';
  }

  /** One connection per workspace: two workspaces of one team are two connections. */
  async identify(tokens: TokenSet): Promise<AccountIdentity> {
    const workspaceId = str(tokens.raw.workspace_id);
    if (!workspaceId) throw new ProviderError('bad_response', 'ClickFunnels token response has no workspace_id');
    const workspaceUrl = str(tokens.raw.workspace_url);
    return {
      accountId: workspaceId,
      teamId: str(tokens.raw.team_id),
      teamName: str(tokens.raw.team_name),
      workspaceId,
      workspaceName: str(tokens.raw.workspace_name),
      apiBaseUrl: workspaceUrl ? this.workspaceApiBase(workspaceUrl) : null,
    };
  }

  /** The connection's workspace when it still passes the checks below (the host list may have changed). */
  override apiBaseFor(storedApiBaseUrl: string | null): string {
    return (storedApiBaseUrl && this.workspaceApiBase(storedApiBaseUrl)) || this.settings.apiBaseUrl;
  }

  /**
   * workspace_url becomes the connection's API base (where API calls send the token) only when it is
   * https on a host under CLICKFUNNELS_WORKSPACE_HOSTS, or on an origin a stand-in declared. Otherwise
   * the connection keeps the provider's default API base, and the log says why.
   */
  private workspaceApiBase(workspaceUrl: string): string | null {
    const url = plainUrl(workspaceUrl);
    if (!url) {
      logger.warn({ provider: this.name }, 'workspace_url is not a plain URL: using the default API base');
      return null;
    }
    // What is stored is the URL as parsed (origin and path), never the provider's raw string.
    const normalised = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    if ((this.settings.trustedApiOrigins ?? []).includes(url.origin)) return normalised;
    const hosts = ((this.settings.extra.CLICKFUNNELS_WORKSPACE_HOSTS as string[] | undefined) ?? []).map((h) =>
      h.toLowerCase(),
    );
    const host = url.hostname;
    const labels = host.split('.');
    const underHosts =
      url.protocol === 'https:' &&
      url.port === '' &&
      labels.every((label) => /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(label)) &&
      hosts.some((h) => host === h || host.endsWith(`.${h}`));
    if (underHosts) return normalised;
    logger.warn(
      { provider: this.name, host, protocol: url.protocol },
      'workspace_url is not https under CLICKFUNNELS_WORKSPACE_HOSTS: using the default API base',
    );
    return null;
  }
}

/**
 * The URL when the string is one plainly: printable ASCII without spaces or percent-escapes (which
 * parsers disagree on, e.g. `%2e` in a host), no credentials, query or fragment.
 */
function plainUrl(value: string): URL | null {
  if (!/^[\x21-\x7e]+$/.test(value) || value.includes('%') || value.includes('\\')) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.username || url.password || url.search || url.hash) return null;
  return url;
}
