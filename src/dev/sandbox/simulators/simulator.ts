import type { FastifyRequest } from 'fastify';
import { AuthorizeRefused, BodyFormat, invalidGrant, invalidRequest, Params, ReplyError, SandboxReply } from './wire';

export type SandboxProviderName = 'keap' | 'webflow' | 'clickfunnels' | 'clickfunnels-classic' | 'lightfunnels';
export type GrantType = 'authorization_code' | 'refresh_token';
export type ClientAuth = 'body' | 'basic';

/** The account a simulated user consents with (what the provider would know about them). */
export interface SandboxAccount {
  userId: string;
  email: string;
  /** Keap: the app name in `scope: full|<app>.infusionsoft.com`. */
  appName?: string;
  teamId?: number;
  teamName?: string;
  workspaceId?: number;
  workspaceName?: string;
  workspaceUrl?: string;
}

/** What the token endpoint accepts, and the lifetimes it stores: docs/providers.md's wire rules as data. */
export interface WireRules {
  /** Content types the token endpoint accepts. */
  tokenBody: { json: boolean; form: boolean };
  clientAuth: ClientAuth[];
  grantTypes: GrantType[];
  /** Absent grant_type means authorization_code (Lightfunnels sends none). */
  grantTypeOptional: boolean;
  responseTypeOptional: boolean;
  /** Only Doorkeeper (ClickFunnels 2.0) honours PKCE; the others ignore code_challenge. */
  pkce: boolean;
  /** How the authorize URL separates scopes (for display). */
  scopeSeparator: string;
  /** Stored lifetimes; null = never expires. */
  accessTokenTtlSeconds: number | null;
  refreshTokenTtlSeconds: number | null;
}

/** How a provider's revoke endpoint is called (JSON or form body either way). */
export interface RevokeStyle {
  clientAuth: ClientAuth[];
  /** The body parameter carrying the token. */
  tokenParam: string;
  /** The 200 body, whether or not the token was known. */
  answer: Record<string, unknown>;
}

export interface IssuedTokens {
  grantId: string;
  accessToken: string;
  refreshToken?: string;
}

/** Why an API call's bearer token is refused; `simulated` is the invalid_token fault. */
export type TokenProblem = 'missing' | 'unknown' | 'expired' | 'revoked' | 'simulated';

/** The access token an API call presented, once it checked out. */
export interface GrantedToken {
  grantId: string;
  account: SandboxAccount;
  scope: string;
  createdAt: Date;
}

/** An object an API call created (a contact), kept per provider and per provider-side account. */
export interface StoredRecord {
  id: number;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** Where API calls keep what they create: shared by all replicas (sandbox.records). */
export interface SandboxRecords {
  create(kind: string, owner: string, data: Record<string, unknown>): Promise<StoredRecord>;
  /** Oldest first; `afterId` (cursor) or `offset` pages through. */
  list(
    kind: string,
    owner: string,
    page: { limit: number; afterId?: number; offset?: number },
  ): Promise<{ items: StoredRecord[]; total: number }>;
}

/** One API call, after the token checked out. */
export interface ApiCall {
  token: GrantedToken;
  /** The route's `:name` segments. */
  params: Record<string, string>;
  query: Params;
  body: unknown;
  format: BodyFormat;
  /** This simulator's address as the call reached it (for links in answers). */
  origin: string;
  records: SandboxRecords;
}

export type HttpMethod = 'GET' | 'POST';

/** One endpoint under `/sandbox/<provider>/api`. */
export interface ApiRoute {
  method: HttpMethod;
  /** Relative to the API base: `teams`, `workspaces/:id/contacts`; `''` is the base itself. */
  path: string;
  /**
   * Whether a call is the whoami a provider module makes to identify or verify a connection: logged
   * as `whoami` and hit by `whoami` faults (and `api` faults, like every API call). A function decides
   * per call (one GraphQL endpoint serves both).
   */
  whoami?: boolean | ((body: unknown) => boolean);
  handle(call: ApiCall): SandboxReply | Promise<SandboxReply>;
}

/**
 * Everything one simulated provider does differently, in one place: its wire rules, the accounts it
 * consents with, its authorize and token quirks, its token response, its revoke style and its API.
 * The shared services (sandbox-*.service.ts) do the common part of each endpoint and ask the simulator
 * for the rest; none of them knows a provider by name.
 */
export interface ProviderSimulator {
  readonly name: SandboxProviderName;
  readonly displayName: string;
  /** The sandbox client registered at this simulator (the stand-in provider's credentials). */
  readonly clientId: string;
  readonly clientSecret: string;
  readonly wire: Readonly<WireRules>;
  /** null: no revoke endpoint (404). */
  readonly revoke: Readonly<RevokeStyle> | null;
  readonly api: readonly ApiRoute[];

  /** The provider-side account behind a consent-page account name (normalized seed). */
  account(seed: string): SandboxAccount;
  /** Label/value lines describing the account on the consent page; the first is the user. */
  describeAccount(account: SandboxAccount): Array<[string, string]>;

  /** Provider-specific checks of an authorize request, after the common ones; throws AuthorizeRefused. */
  checkAuthorize(params: Params, scope: string): void;
  /** The scope a grant gets for the requested one. */
  grantedScope(requested: string): string;

  /** Provider-specific checks of a token request's form, after the content type; throws SandboxError. */
  checkTokenRequest(req: Pick<FastifyRequest, 'headers'>, format: BodyFormat): void;
  /** The redirect_uri rule at the token endpoint (`authorized`: the one of the authorize request). */
  checkRedirectUri(authorized: string | null, given: string | undefined): void;
  /** The account as stored with the tokens (`origin`: this simulator's address). */
  accountAtIssue(account: SandboxAccount, origin: string): SandboxAccount;
  /** The token endpoint's success body, field for field as docs/providers.md shows it. */
  tokenResponse(issued: IssuedTokens, account: SandboxAccount, scope: string): Record<string, unknown>;

  /** Checks every API call makes before looking at the token (ClickFunnels' User-Agent); throws SandboxError. */
  checkApiRequest(req: Pick<FastifyRequest, 'headers'>): void;
  /** The API's 401. */
  unauthorized(problem: TokenProblem): SandboxReply;
  /** The API's 429 (the `rate_limit` fault of an API call). */
  rateLimited(retryAfter: string): SandboxReply;
}

const TOKEN_PROBLEMS: Record<TokenProblem, string> = {
  missing: 'No Bearer access token',
  unknown: 'The access token is unknown',
  expired: 'The access token has expired',
  revoked: 'The access token was revoked',
  simulated: 'Simulated invalid_token',
};

/** RFC 6750 §3.1's 401: what every simulator answered so far, and the base of the providers' own. */
export function bearerUnauthorized(problem: TokenProblem, extra: Record<string, unknown> = {}): SandboxReply {
  return {
    status: 401,
    json: { error: 'invalid_token', error_description: TOKEN_PROBLEMS[problem], ...extra },
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  };
}

/** The 429 body every simulator answered so far (Keap's, docs/providers.md#keap). */
export function quotaExceeded(retryAfter: string): SandboxReply {
  return { status: 429, json: { code: '429', message: 'Quota Exceeded' }, headers: { 'Retry-After': retryAfter } };
}

/** The defaults: what most providers do. A simulator overrides what its provider does differently. */
export abstract class SimulatorBase implements ProviderSimulator {
  abstract readonly name: SandboxProviderName;
  abstract readonly displayName: string;
  abstract readonly wire: Readonly<WireRules>;
  abstract readonly api: readonly ApiRoute[];
  readonly revoke: Readonly<RevokeStyle> | null = null;

  get clientId(): string {
    return `sandbox-${this.name}`;
  }

  get clientSecret(): string {
    return `sandbox-secret-${this.name}`;
  }

  abstract account(seed: string): SandboxAccount;
  abstract tokenResponse(issued: IssuedTokens, account: SandboxAccount, scope: string): Record<string, unknown>;

  describeAccount(account: SandboxAccount): Array<[string, string]> {
    return [
      ['User', account.email],
      ['Account id', account.userId],
    ];
  }

  checkAuthorize(_params: Params, _scope: string): void {}

  grantedScope(requested: string): string {
    return requested;
  }

  checkTokenRequest(_req: Pick<FastifyRequest, 'headers'>, _format: BodyFormat): void {}

  /** RFC 6749 §4.1.3: sent, and identical to the authorize request's. */
  checkRedirectUri(authorized: string | null, given: string | undefined): void {
    if (given === undefined) throw invalidRequest('redirect_uri is missing');
    if (given !== authorized) throw invalidGrant('redirect_uri does not match the one of the authorization request');
  }

  accountAtIssue(account: SandboxAccount, _origin: string): SandboxAccount {
    return account;
  }

  checkApiRequest(_req: Pick<FastifyRequest, 'headers'>): void {}

  unauthorized(problem: TokenProblem): SandboxReply {
    return bearerUnauthorized(problem);
  }

  rateLimited(retryAfter: string): SandboxReply {
    return quotaExceeded(retryAfter);
  }

  /** Ends an API call with an answer in this provider's error shape. */
  protected fail(status: number, code: string, body: unknown, headers?: Record<string, string>): never {
    throw new ReplyError({ status, json: body, ...(headers && { headers }) }, code);
  }

  protected refuse(message: string): never {
    throw new AuthorizeRefused(message);
  }
}
