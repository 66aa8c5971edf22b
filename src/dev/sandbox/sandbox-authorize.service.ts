import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { appConfig } from '../../config/app.config';
import { DEFAULT_ACCOUNT_SEED, describeAccount, normalizeSeed, simulatedAccount } from './sandbox-accounts';
import { SandboxGrantsService } from './sandbox-grants.service';
import { Params, SandboxError, SandboxReply } from './sandbox-http';
import { consentPage, errorPage } from './sandbox-pages';
import { sandboxClientId, SandboxProvider } from './sandbox-providers';

interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state?: string;
  scope: string;
  codeChallenge: string | null;
  /** The parameters as received, carried through the consent form. */
  original: Record<string, string>;
}

/** Why an authorize request is refused: shown on an error page, never sent to the redirect_uri. */
class Refused extends Error {}

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

/** The browser half of each simulator: the authorize check, the consent page and its decision. */
@Injectable()
export class SandboxAuthorizeService {
  constructor(
    private readonly grants: SandboxGrantsService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  page(provider: SandboxProvider, query: unknown): SandboxReply {
    let request: AuthorizeRequest;
    try {
      request = this.parse(provider, Params.of(query));
    } catch (e) {
      if (e instanceof Refused || e instanceof SandboxError) return errorPage(400, provider.displayName, e.message);
      throw e;
    }
    return consentPage({
      providerName: provider.displayName,
      scopes: this.scopeList(provider, request.scope),
      account: describeAccount(provider, simulatedAccount(provider, DEFAULT_ACCOUNT_SEED)),
      defaultSeed: DEFAULT_ACCOUNT_SEED,
      redirectUri: request.redirectUri,
      hidden: Object.fromEntries(Object.entries(request.original).filter(([k]) => !FORM_FIELDS.includes(k))),
    });
  }

  async decide(provider: SandboxProvider, body: unknown): Promise<SandboxReply> {
    const all = Params.of(body);
    const fields = all.strings();
    const authorizeParams = Object.fromEntries(Object.entries(fields).filter(([k]) => !FORM_FIELDS.includes(k)));
    let request: AuthorizeRequest;
    try {
      if (all.repeated().length) throw new Refused(`Parameter ${all.repeated()[0]} is repeated`);
      request = this.parse(provider, Params.of(authorizeParams));
    } catch (e) {
      if (e instanceof Refused || e instanceof SandboxError) return errorPage(400, provider.displayName, e.message);
      throw e;
    }
    const target = new URL(request.redirectUri);
    if (fields.decision === 'deny') {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user denied the authorization request');
    } else if (fields.decision === 'approve') {
      const account = simulatedAccount(provider, normalizeSeed(fields.account));
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
  private parse(provider: SandboxProvider, params: Params): AuthorizeRequest {
    const repeated = params.repeated();
    if (repeated.length) throw new Refused(`Parameter ${repeated[0]} is repeated`);
    const original = params.strings();
    for (const [key, value] of Object.entries(original)) {
      if (value.length > MAX_PARAM_LENGTH) throw new Refused(`Parameter ${key} is too long`);
    }
    const clientId = params.get('client_id');
    if (!clientId) throw new Refused('client_id is missing');
    if (clientId !== sandboxClientId(provider))
      throw new Refused(`Unknown client_id (this simulator knows ${sandboxClientId(provider)})`);
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri) throw new Refused('redirect_uri is missing');
    const target = absoluteHttpUrl(redirectUri);
    if (!target) throw new Refused('redirect_uri must be an absolute http(s) URL without a fragment');
    // The sandbox clients are registered for this service only: like a real provider, never redirect
    // a consent to somewhere else (no open redirect through the simulator).
    if (target.origin !== new URL(this.app.publicUrl).origin)
      throw new Refused('redirect_uri is not registered for this client (it must be on PUBLIC_URL)');
    const responseType = params.get('response_type');
    if (responseType === undefined && !provider.responseTypeOptional)
      throw new Refused('response_type is missing (expected code)');
    if (responseType !== undefined && responseType !== 'code')
      throw new Refused('Unsupported response_type (expected code)');
    const scope = params.get('scope') ?? '';
    switch (provider.name) {
      case 'clickfunnels':
        // The seed lists both on the authorize URL and the real server refuses the request without them.
        if (params.get('new_installation') !== 'true') throw new Refused('new_installation must be true');
        if (params.get('grant_type') !== 'authorization_code')
          throw new Refused('grant_type must be authorization_code');
        break;
      case 'keap':
        if (scope !== 'full') throw new Refused('scope must be full');
        break;
    }
    return {
      clientId,
      redirectUri,
      state: params.get('state'),
      scope: provider.name === 'clickfunnels' ? 'admin read' : scope,
      codeChallenge: this.codeChallenge(provider, params),
      original,
    };
  }

  private codeChallenge(provider: SandboxProvider, params: Params): string | null {
    const challenge = params.get('code_challenge');
    if (!provider.pkce || challenge === undefined) return null;
    if (params.get('code_challenge_method') !== 'S256') throw new Refused('code_challenge_method must be S256');
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge))
      throw new Refused('code_challenge must be a base64url SHA-256 digest (43 characters)');
    return challenge;
  }

  private scopeList(provider: SandboxProvider, scope: string): string[] {
    return scope
      .split(provider.scopeSeparator)
      .map((s) => s.trim())
      .filter(Boolean);
  }
}
