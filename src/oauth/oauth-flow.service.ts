import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import passport from 'passport';
import { DataSource } from 'typeorm';
import { URL_MAX_LENGTH } from '../common/limits';
import { ConnectSessionEntity } from '../connect-sessions/connect-session.entity';
import { BrowserContext, ConnectSessionsService } from '../connect-sessions/connect-sessions.service';
import { allowedOrigin, isAllowedReturnUrl, withQuery } from '../connect-sessions/return-url';
import { ConnectionHooks } from '../connections/connection-hooks';
import { ConnectionsService } from '../connections/connections.service';
import { ConnectionEntity } from '../connections/connection.entity';
import { ConnectionsRepository } from '../connections/persistence/connections.repository';
import { tokenContext } from '../connections/token-context';
import { TokenCipher } from '../crypto/token-cipher';
import { AccountIdentity, OAuthProvider } from '../providers/core/provider';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { TokenRevocationsRepository } from '../revocations/token-revocations.repository';
import { bindingCookieName, FlowRequest, OAuthStateStore, STATE_TTL_MS } from './oauth-state.store';
import { ProviderError } from '../providers/core/provider-errors';
import {
  errorPage,
  OAuthFailure,
  OpenerScript,
  resultPageCspWithScript,
  RESULT_PAGE_CSP,
  successPage,
} from './result-page';
import { grantedScopes, tokenLifetimes } from '../providers/core/token-lifetimes';
import { TokenSet } from '../providers/core/token-response';

/**
 * What a connect session's token (connect-sessions.service.ts) and a flow state (oauth-state.store.ts)
 * look like: 32 random bytes, base64url, 43 characters. Anything else cannot be one of ours, so it
 * ends the flow as an unknown one does, without a database lookup.
 */
const WELL_FORMED_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const wellFormed = (value: string | undefined): value is string => value !== undefined && WELL_FORMED_TOKEN.test(value);

/** Where a flow ends: the connect session's return URL, or a small page of our own. */
type Ending = { ok: true; connectionId: string } | { ok: false; error: OAuthFailure };

/**
 * `record`: this request ends the session's flow (it opened the link, or consumed the flow's state),
 * so the outcome is recorded on the session and told to its opener. A request that merely failed to
 * join a flow (a reused link, a replayed callback) records nothing: the flow it names has, or will
 * have, its own ending. `returnTo`: the browser's return URL, for a session that has none (checked).
 */
interface EndOptions {
  record?: boolean;
  returnTo?: string | null;
}

@Injectable()
export class OAuthFlowService {
  private readonly logger = new Logger('OAuthFlow');

  constructor(
    private readonly catalog: ProviderCatalog,
    private readonly sessions: ConnectSessionsService,
    private readonly states: OAuthStateStore,
    private readonly connections: ConnectionsService,
    private readonly connectionsRepo: ConnectionsRepository,
    private readonly hooks: ConnectionHooks,
    private readonly revocations: TokenRevocationsRepository,
    private readonly cipher: TokenCipher,
    private readonly dataSource: DataSource,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /**
   * GET /oauth/{provider}/authorize?session=…[&origin=…][&return_to=…] → 302 to the provider's consent
   * screen. `origin` (the opener page's) and `return_to` (the redirect fallback's return URL) are kept
   * on the session only when ALLOWED_RETURN_URLS allows them, else ignored.
   */
  async authorize(
    providerName: string,
    sessionToken: string | undefined,
    query: { origin?: string; returnTo?: string },
    req: FlowRequest,
    res: FastifyReply,
  ): Promise<void> {
    const provider = this.catalog.find(providerName);
    if (!provider || !wellFormed(sessionToken))
      return this.end(res, null, providerName, { ok: false, error: 'invalid_state' });
    const browser = this.browserContext(query);
    const opened = await this.sessions.open(sessionToken, provider.name, browser);
    if (!opened.ok)
      return this.end(
        res,
        opened.session ?? null,
        providerName,
        { ok: false, error: opened.reason },
        { returnTo: browser.returnTo },
      );
    const { session } = opened;
    req.flowSession = {
      id: session.id,
      provider: provider.name,
      bind: (state, nonce) => {
        void res.setCookie(bindingCookieName(state), nonce, {
          httpOnly: true,
          // Lax: sent on the provider's top-level redirect back to us, not on cross-site subrequests.
          sameSite: 'lax',
          secure: this.app.publicUrl.startsWith('https:'),
          path: `/oauth/${provider.name}/callback`,
          maxAge: STATE_TTL_MS / 1000,
          expires: new Date(Date.now() + STATE_TTL_MS),
        });
      },
    };
    const requested = requestedScopes(provider, session);
    const scope = requested.length ? requested : undefined;
    const failed = (error: unknown) => {
      this.logger.error({ err: error, provider: provider.name }, 'could not start the authorization');
      void this.end(res, session, providerName, { ok: false, error: 'invalid_state' }, { record: true });
    };
    // Passport answers with the 302 itself (its store writes the state row first).
    authenticate(this.catalog.strategy(provider.name), { session: false, scope }, failed)(
      req,
      passportResponse(res),
      failed,
    );
  }

  /**
   * GET /oauth/{provider}/callback. Provider errors, a missing or bad state and a missing code are
   * handled here before Passport sees the request, so every failure consumes the state and ends on the
   * return URL or an error page, never on a JSON 401/500.
   */
  async callback(
    providerName: string,
    query: Record<string, unknown>,
    req: FlowRequest,
    res: FastifyReply,
  ): Promise<void> {
    const param = (name: string) => (typeof query[name] === 'string' ? query[name] : undefined);
    const stateValue = param('state');
    if (!wellFormed(stateValue)) {
      // e.g. a Webflow Marketplace install: a code without state cannot be tied to an owner; or a
      // state we cannot have issued (checked before any query).
      return this.end(res, null, providerName, { ok: false, error: 'invalid_state' });
    }
    const cookie = bindingCookieName(stateValue);
    const checked = await this.states.consume(stateValue, providerName, req.cookies[cookie]);
    res.clearCookie(cookie, { path: `/oauth/${providerName}/callback` });
    const session = checked.state ? await this.sessions.findById(checked.state.connectSessionId) : null;
    // From here on this request ends the flow, unless the state had already been spent by another.
    const end = (ending: Ending) => this.end(res, session, providerName, ending, { record: true });
    if (!checked.ok)
      return this.end(res, session, providerName, { ok: false, error: checked.reason }, { record: !checked.spent });
    const provider = this.catalog.find(providerName);
    if (!provider || !session) return end({ ok: false, error: 'invalid_state' });
    if (param('error')) return end({ ok: false, error: 'access_denied' });
    if (!param('code')) return end({ ok: false, error: 'token_exchange_failed' });

    req.flowState = checked.state;
    const tokens = await this.exchangeThroughPassport(provider, req, res);
    if (!tokens) return end({ ok: false, error: 'token_exchange_failed' });

    let identity: AccountIdentity;
    try {
      identity = await provider.identify(tokens);
    } catch (error) {
      this.logger.warn(
        { provider: provider.name, kind: (error as ProviderError).kind, reason: (error as Error).message },
        'identity lookup failed',
      );
      return end({ ok: false, error: 'identity_failed' });
    }
    const cleaned = cleanIdentity(identity);
    if (!cleaned.accountId) return end({ ok: false, error: 'identity_failed' });
    let connectionId: string;
    try {
      const reconnected = session.reconnectConnectionId
        ? await this.connectionsRepo.findById(session.reconnectConnectionId)
        : null;
      // A reconnect must bring back the connection's own account: another one is not stored at all.
      // (A connection deleted meanwhile is simply connected anew.)
      if (reconnected && reconnected.accountId !== cleaned.accountId) {
        await this.discard(provider, tokens, cleaned.accountId, reconnected);
        return end({ ok: false, error: 'account_mismatch' });
      }
      connectionId = await this.store(provider, session, tokens, cleaned);
    } catch (error) {
      // The flow still ends on the return URL or a page, never on a JSON 500.
      this.logger.error({ err: error, provider: provider.name }, 'could not store the connection');
      return end({ ok: false, error: 'internal_error' });
    }
    return end({ ok: true, connectionId });
  }

  private exchangeThroughPassport(
    provider: OAuthProvider,
    req: FlowRequest,
    res: FastifyReply,
  ): Promise<TokenSet | null> {
    return new Promise((resolve) => {
      const done = (error: unknown, tokens?: TokenSet | false) => {
        if (error || !tokens) {
          // passport-oauth2 wraps the provider's error as `oauthError`.
          const cause = (error as { oauthError?: unknown })?.oauthError ?? error;
          this.logger.warn(
            {
              provider: provider.name,
              kind: cause instanceof ProviderError ? cause.kind : 'unknown',
              reason: cause instanceof Error ? cause.message : 'no tokens',
            },
            'code exchange failed',
          );
          resolve(null);
          return;
        }
        resolve(tokens);
      };
      authenticate(this.catalog.strategy(provider.name), { session: false }, done)(req, passportResponse(res), done);
    });
  }

  private async store(
    provider: OAuthProvider,
    session: ConnectSessionEntity,
    tokens: TokenSet,
    identity: AccountIdentity,
  ): Promise<string> {
    const now = new Date();
    const lifetimes = tokenLifetimes(
      provider.settings,
      { expiresIn: tokens.expiresIn, hasRefreshToken: Boolean(tokens.refreshToken), createdAt: tokens.raw.created_at },
      now,
    );
    const { connection, revived } = await this.connections.saveTokens({
      provider: provider.name,
      ownerId: session.ownerId,
      accountId: identity.accountId,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      tokenType: tokens.tokenType,
      ...lifetimes,
      scopes:
        provider.grantedScopes?.(tokens, requestedScopes(provider, session)) ??
        grantedScopes(tokens.scope, requestedScopes(provider, session)),
      teamId: identity.teamId,
      teamName: identity.teamName,
      workspaceId: identity.workspaceId,
      workspaceName: identity.workspaceName,
      apiBaseUrl: identity.apiBaseUrl ?? provider.settings.apiBaseUrl,
      metadata: Object.keys(session.metadata).length ? session.metadata : undefined,
    });
    // Provider-side steps of a new connection (the uninstall subscription); never fails the connect.
    await this.hooks.connected(connection, { revived });
    return connection.id;
  }

  /**
   * The tokens of a reconnect that came back with another account (account_mismatch): never stored,
   * and revoked where the provider revokes single tokens (revokeSupersededTokens: Webflow, ClickFunnels
   * 2.0), unless a connection of that account holds one of these very tokens (a provider may hand out
   * the same token again). A provider that may end the user's whole grant with one token is not asked
   * at all: that grant may be the reconnected connection's own. A revocation
   * that fails is queued for the revocation worker, as a reconnect's superseded tokens are.
   */
  private async discard(
    provider: OAuthProvider,
    tokens: TokenSet,
    accountId: string,
    reconnected: ConnectionEntity,
  ): Promise<void> {
    const plain = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
    const log = { provider: provider.name, connectionId: reconnected.id };
    // A provider whose one revocation may end the user's whole grant (not revokeSupersededTokens) is
    // never asked: the grant behind these tokens may be the one behind the connection being reconnected
    // (one user, several tenants), as the rest of the service never revokes for such a provider either.
    if (!provider.supports.revoke || !provider.settings.revokeSupersededTokens) return;
    const held = await this.connectionsRepo.findAllByAccount(provider.name, accountId);
    if (held.some((c) => this.holdsAny(c, plain))) {
      this.logger.log(log, 'account_mismatch: the other account has connections here; its new tokens are not revoked');
      return;
    }
    try {
      if ((await provider.revoke(plain)) !== 'failed') return;
    } catch (error) {
      this.logger.warn({ ...log, reason: error instanceof Error ? error.name : 'unknown' }, 'revocation failed');
    }
    await this.revocations.enqueue(this.dataSource.manager, {
      provider: provider.name,
      connectionId: reconnected.id,
      reason: 'reconnect',
      ...plain,
    });
  }

  /** Whether a stored connection holds any of `tokens` (an unreadable one is assumed to). */
  private holdsAny(c: ConnectionEntity, tokens: { accessToken: string; refreshToken?: string }): boolean {
    try {
      const live = new Set([tokens.accessToken, tokens.refreshToken].filter(Boolean));
      const access = c.accessToken ? this.cipher.decrypt(c.accessToken, tokenContext(c.id, 'access_token')) : null;
      const refresh = c.refreshToken ? this.cipher.decrypt(c.refreshToken, tokenContext(c.id, 'refresh_token')) : null;
      return (access !== null && live.has(access)) || (refresh !== null && live.has(refresh));
    } catch {
      return true;
    }
  }

  /** The browser's `origin` and `return_to`, kept only when ALLOWED_RETURN_URLS allows them. */
  private browserContext(query: { origin?: string; returnTo?: string }): BrowserContext {
    const allowed = this.app.allowedReturnUrls;
    const bounded = (v: string | undefined) => (v !== undefined && v.length <= URL_MAX_LENGTH ? v : undefined);
    const origin = bounded(query.origin);
    const returnTo = bounded(query.returnTo);
    return {
      origin: origin !== undefined ? allowedOrigin(origin, allowed) : null,
      // Stored as parsed, as a session's returnUrl is.
      returnTo: returnTo !== undefined && isAllowedReturnUrl(returnTo, allowed) ? new URL(returnTo).toString() : null,
    };
  }

  private async end(
    res: FastifyReply,
    session: ConnectSessionEntity | null,
    providerName: string,
    ending: Ending,
    { record = false, returnTo = null }: EndOptions = {},
  ): Promise<void> {
    if (!ending.ok) this.logger.warn({ provider: providerName, error: ending.error }, 'connect flow failed');
    const provider = session?.provider ?? this.catalog.find(providerName)?.name ?? providerName;
    // Recorded before the browser hears of it, so whatever the browser then asks (the observe channel,
    // the product's backend) the session already says it.
    if (session && record) {
      try {
        await this.sessions.finish(
          session.id,
          ending.ok
            ? { status: 'connected', connectionId: ending.connectionId, provider }
            : { status: 'error', error: ending.error },
        );
      } catch (error) {
        this.logger.error({ err: error, provider }, 'could not record the end of the connect session');
      }
    }
    const returnUrl = session ? (session.returnUrl ?? returnTo) : null;
    if (session && returnUrl) {
      const params: Record<string, string> = ending.ok
        ? { status: 'connected', connectionId: ending.connectionId, provider, sessionId: session.id }
        : { status: 'error', error: ending.error, sessionId: session.id };
      void res.redirect(withQuery(returnUrl, params), 302);
      return;
    }
    // The opener hears only of an ending this request recorded, and only at the origin it named.
    let script: OpenerScript | undefined;
    if (session && record && session.origin) {
      script = {
        nonce: randomBytes(16).toString('base64'),
        origin: session.origin,
        message: ending.ok
          ? {
              type: 'oauth-connections:result',
              sessionId: session.id,
              status: 'connected',
              connectionId: ending.connectionId,
              provider,
            }
          : { type: 'oauth-connections:result', sessionId: session.id, status: 'error', error: ending.error },
      };
    }
    res.header('Content-Security-Policy', script ? resultPageCspWithScript(script.nonce) : RESULT_PAGE_CSP);
    void res
      .status(ending.ok ? 200 : 400)
      .type('text/html; charset=utf-8')
      .send(
        ending.ok
          ? successPage(this.catalog.find(provider)?.settings.displayName ?? provider, ending.connectionId, script)
          : errorPage(ending.error, script),
      );
  }
}

/**
 * The scopes a flow asks for: the session's, or, for a session of several providers created without
 * any, the chosen provider's defaults (a one-provider session stored its provider's already).
 */
function requestedScopes(provider: OAuthProvider, session: ConnectSessionEntity): string[] {
  return session.scopes.length || session.providers.length <= 1 ? session.scopes : provider.settings.scopes;
}

/**
 * passport writes its redirect on a Node response (statusCode, setHeader, end); on Fastify it gets
 * this view of the reply, so the answer still goes through Fastify (its hooks, the request log and
 * metrics) instead of around it. (@nestjs/passport's AuthGuard has the same gap: nestjs/passport#1655.)
 */
function passportResponse(reply: FastifyReply) {
  return {
    get statusCode(): number {
      return reply.statusCode;
    },
    set statusCode(code: number) {
      reply.status(code);
    },
    setHeader(name: string, value: string): void {
      reply.header(name, value);
    },
    end(body?: string): void {
      void reply.send(body);
    },
  };
}

// eslint-disable-next-line no-control-regex -- U+0000 is what Postgres text cannot hold
const stripNul = (v: string) => v.replace(/\u0000/g, '');

/**
 * passport.authenticate's middleware for one request, typed (its typings say `any`). Passport writes
 * the request's callbacks (redirect, success, fail, error) onto the strategy object it runs; given a
 * registered name it runs a fresh `Object.create` of the strategy, but given an object it runs that
 * object itself, so two flows of one provider at the same moment answered each other (one user's
 * tokens stored as the other's connection). Each request gets its own object, the provider's strategy
 * as its prototype.
 */
type PassportMiddleware = (req: unknown, res: unknown, next: (error?: unknown) => void) => void;
const authenticate = (strategy: object, ...rest: DropFirst<Parameters<typeof passport.authenticate>>) =>
  passport.authenticate(Object.create(strategy) as typeof strategy as never, ...rest) as PassportMiddleware;
type DropFirst<T extends unknown[]> = T extends [unknown, ...infer Rest] ? Rest : never;

/** Provider-supplied identity fields, made storable: text without U+0000, at most 255 characters. */
function cleanIdentity(identity: AccountIdentity): AccountIdentity {
  const clean = (v: string | null | undefined) => (typeof v === 'string' ? stripNul(v).slice(0, 255) : v);
  const url =
    typeof identity.apiBaseUrl === 'string' && identity.apiBaseUrl.length <= 2048
      ? stripNul(identity.apiBaseUrl)
      : null;
  return {
    accountId: clean(identity.accountId) ?? '',
    teamId: clean(identity.teamId),
    teamName: clean(identity.teamName),
    workspaceId: clean(identity.workspaceId),
    workspaceName: clean(identity.workspaceName),
    apiBaseUrl: url,
  };
}
