import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { appConfig } from '../../config/app.config';
import { SandboxGrantsService } from './sandbox-grants.service';
import { consentPage, errorPage } from './sandbox-pages';
import { DEFAULT_ACCOUNT_SEED, normalizeSeed } from './simulators/accounts';
import type { ProviderSimulator } from './simulators/simulator';
import { AuthorizeRefused, Params, SandboxError, SandboxReply } from './simulators/wire';

interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state?: string;
  scope: string;
  codeChallenge: string | null;
  /** The parameters as received, carried through the consent form. */
  original: Record<string, string>;
}

const MAX_PARAM_LENGTH = 4096;
// The consent form's own fields, not authorize parameters.
const FORM_FIELDS = ['decision', 'account'];

function absoluteHttpUrl(value: string): URL | null {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !value.includes('#') ? url : null;
  } catch {
    return null;
  }
}

/**
 * The browser half of each simulator: the authorize check, the consent page and its decision. The
 * checks every OAuth server makes are here; the simulator adds its provider's own and names the account.
 */
@Injectable()
export class SandboxAuthorizeService {
  constructor(
    private readonly grants: SandboxGrantsService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  page(provider: ProviderSimulator, query: unknown): SandboxReply {
    let request: AuthorizeRequest;
    try {
      request = this.parse(provider, Params.of(query));
    } catch (e) {
      if (e instanceof AuthorizeRefused || e instanceof SandboxError)
        return errorPage(400, provider.displayName, e.message);
      throw e;
    }
    return consentPage({
      providerName: provider.displayName,
      scopes: this.scopeList(provider, request.scope),
      account: provider.describeAccount(provider.account(DEFAULT_ACCOUNT_SEED)),
      defaultSeed: DEFAULT_ACCOUNT_SEED,
      redirectUri: request.redirectUri,
      hidden: Object.fromEntries(Object.entries(request.original).filter(([k]) => !FORM_FIELDS.includes(k))),
    });
  }

  async decide(provider: ProviderSimulator, body: unknown): Promise<SandboxReply> {
    const all = Params.of(body);
    const fields = all.strings();
    const authorizeParams = Object.fromEntries(Object.entries(fields).filter(([k]) => !FORM_FIELDS.includes(k)));
    let request: AuthorizeRequest;
    try {
      if (all.repeated().length) throw new AuthorizeRefused(`Parameter ${all.repeated()[0]} is repeated`);
      request = this.parse(provider, Params.of(authorizeParams));
    } catch (e) {
      if (e instanceof AuthorizeRefused || e instanceof SandboxError)
        return errorPage(400, provider.displayName, e.message);
      throw e;
    }
    const target = new URL(request.redirectUri);
    if (fields.decision === 'deny') {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user denied the authorization request');
    } else if (fields.decision === 'approve') {
      const account = provider.account(normalizeSeed(fields.account));
      const code = await this.grants.createCode(provider, {
        clientId: request.clientId,
        redirectUri: request.redirectUri,
        scope: request.scope,
        codeChallenge: request.codeChallenge,
        account,
      });
      target.searchParams.set('code', code);
    } else {
      return errorPage(400, provider.displayName, 'decision must be approve or deny');
    }
    if (request.state !== undefined) target.searchParams.set('state', request.state);
    return { status: 302, location: target.toString() };
  }

  /** The checks the real provider makes before showing its consent screen. */
  private parse(provider: ProviderSimulator, params: Params): AuthorizeRequest {
    const repeated = params.repeated();
    if (repeated.length) throw new AuthorizeRefused(`Parameter ${repeated[0]} is repeated`);
    const original = params.strings();
    for (const [key, value] of Object.entries(original)) {
      if (value.length > MAX_PARAM_LENGTH) throw new AuthorizeRefused(`Parameter ${key} is too long`);
    }
    const clientId = params.get('client_id');
    if (!clientId) throw new AuthorizeRefused('client_id is missing');
    if (clientId !== provider.clientId)
      throw new AuthorizeRefused(`Unknown client_id (this simulator knows ${provider.clientId})`);
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri) throw new AuthorizeRefused('redirect_uri is missing');
    const target = absoluteHttpUrl(redirectUri);
    if (!target) throw new AuthorizeRefused('redirect_uri must be an absolute http(s) URL without a fragment');
    // The sandbox clients are registered for this service only: like a real provider, never redirect
    // a consent to somewhere else (no open redirect through the simulator).
    if (target.origin !== new URL(this.app.publicUrl).origin)
      throw new AuthorizeRefused('redirect_uri is not registered for this client (it must be on PUBLIC_URL)');
    const responseType = params.get('response_type');
    if (responseType === undefined && !provider.wire.responseTypeOptional)
      throw new AuthorizeRefused('response_type is missing (expected code)');
    if (responseType !== undefined && responseType !== 'code')
      throw new AuthorizeRefused('Unsupported response_type (expected code)');
    const scope = params.get('scope') ?? '';
    provider.checkAuthorize(params, scope);
    return {
      clientId,
      redirectUri,
      state: params.get('state'),
      scope: provider.grantedScope(scope),
      codeChallenge: this.codeChallenge(provider, params),
      original,
    };
  }

  private codeChallenge(provider: ProviderSimulator, params: Params): string | null {
    const challenge = params.get('code_challenge');
    if (!provider.wire.pkce || challenge === undefined) return null;
    if (params.get('code_challenge_method') !== 'S256')
      throw new AuthorizeRefused('code_challenge_method must be S256');
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge))
      throw new AuthorizeRefused('code_challenge must be a base64url SHA-256 digest (43 characters)');
    return challenge;
  }

  private scopeList(provider: ProviderSimulator, scope: string): string[] {
    return scope
      .split(provider.wire.scopeSeparator)
      .map((s) => s.trim())
      .filter(Boolean);
  }
}
