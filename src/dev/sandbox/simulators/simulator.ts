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
  /** The webhooks this provider holds (registration calls). */
  webhooks: SandboxWebhooks;
}

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/**
 * Keap's hook states (`Verified` once the handshake was echoed, `Inactive` after a 410); `active` for
 * the providers whose webhooks need no verification.
 */
export type WebhookStatus = 'active' | 'Verified' | 'Unverified' | 'Inactive';

/** A webhook registered at a simulator (sandbox.webhooks). */
export interface StoredWebhook {
  /** The provider's id of it, as its API shows it (a number, a Keap key, 24 hex for Webflow). */
  id: string;
  /** The account it belongs to, named as the service names the connection's account (accountKey). */
  account: string;
  /** The event types it was registered for; ClickFunnels: an empty list is every event. */
  events: string[];
  url: string;
  name: string | null;
  /** The secret it is signed with (ClickFunnels' webhook_secret), or Keap's last handshake secret. */
  secret: string | null;
  status: WebhookStatus;
  /** Provider-specific fields (Webflow's siteId and filter, Lightfunnels' version and settings). */
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface NewWebhook {
  id: string;
  account: string;
  events: string[];
  url: string;
  name?: string | null;
  secret?: string | null;
  status: WebhookStatus;
  data?: Record<string, unknown>;
}

/** Where registration calls keep their webhooks (shared by all replicas), and Keap's handshake. */
export interface SandboxWebhooks {
  /** A new webhook, under an id the simulator makes (`newId`). */
  create(hook: NewWebhook): Promise<StoredWebhook>;
  /** The account's webhooks, oldest first. */
  list(account: string): Promise<StoredWebhook[]>;
  find(id: string): Promise<StoredWebhook | null>;
  /** Whether it existed. */
  remove(id: string): Promise<boolean>;
  update(id: string, change: Partial<Pick<StoredWebhook, 'status' | 'secret'>>): Promise<void>;
  /**
   * Keap's verification: POSTs `url` with a new `X-Hook-Secret` and tells whether the answer was a
   * 200 echoing it.
   */
  handshake(url: string): Promise<{ verified: boolean; secret: string }>;
}

/**
 * How a provider's webhooks behave once registered: the events it knows, what a delivery carries and
 * how it is signed. Absent on a provider without webhooks (ClickFunnels Classic).
 */
export interface SimulatedWebhooks {
  /** Event types a registration may name (the provider refuses others). */
  readonly events: readonly string[];
  /** The per-account "app uninstalled" event, if the provider has one. */
  readonly uninstallEvent?: string;
  /** A new id for a webhook, in the provider's format. */
  newId(): string;
  /** Whether a registered hook receives `type` now (its events, its state). */
  receives(hook: StoredWebhook, type: string): boolean;
  /** The event a hook gets when none is named: its first one that is not the uninstall. */
  defaultEvent(hook: StoredWebhook): string | undefined;
  /** A realistic delivery body of `type` for the hook's account; `event.id` is one per event sent. */
  body(type: string, hook: StoredWebhook, event: { id: string; now: Date }): Record<string, unknown>;
  /** The headers of a delivery of `body` (the exact bytes sent), signed as the provider signs. */
  sign(body: string, hook: StoredWebhook, now: Date): Record<string, string>;
  /** The hook's state after a delivery was answered `status` (Keap: a 410 makes it inactive). */
  statusAfter?(status: number): WebhookStatus | undefined;
}

/** Whether a hook in a deliverable state is registered for `type` (an empty list: every event). */
export function registeredFor(hook: StoredWebhook, type: string): boolean {
  return (
    (hook.status === 'active' || hook.status === 'Verified') && (hook.events.length === 0 || hook.events.includes(type))
  );
}

/** A hook's first event that is not the uninstall (`fallback` for a hook registered for every event). */
export function firstEvent(hook: StoredWebhook, uninstall: string | undefined, fallback: string): string | undefined {
  if (hook.events.length === 0) return fallback;
  return hook.events.find((e) => e !== uninstall);
}

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
  /**
   * The version prefix the provider's real API base ends with (Keap `v1`, Webflow `v2`, ClickFunnels
   * `api/v2`), matched at the start of an API path and dropped: a client that appends it to the API
   * base (as it must for the real one) reaches the same routes.
   */
  readonly apiPrefix: RegExp | null;
  /** null: the provider has no webhooks to register. */
  readonly webhooks: SimulatedWebhooks | null;

  /** The account as the service names a connection's account (its accountId): webhooks belong to it. */
  accountKey(account: SandboxAccount): string;
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
  readonly apiPrefix: RegExp | null = null;
  readonly webhooks: SimulatedWebhooks | null = null;

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

  accountKey(account: SandboxAccount): string {
    return account.userId;
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
