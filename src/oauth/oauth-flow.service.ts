import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import type { FastifyReply } from 'fastify';
import passport from 'passport';
import { ConnectSessionEntity } from '../connect-sessions/connect-session.entity';
import { ConnectSessionsService } from '../connect-sessions/connect-sessions.service';
import { withQuery } from '../connect-sessions/return-url';
import { ConnectionHooks } from '../connections/connection-hooks';
import { ConnectionsService } from '../connections/connections.service';
import { AccountIdentity, OAuthProvider } from '../providers/core/provider';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { bindingCookieName, FlowRequest, OAuthStateStore, STATE_TTL_MS } from './oauth-state.store';
import { ProviderError } from '../providers/core/provider-errors';
import { errorPage, OAuthFailure, successPage, RESULT_PAGE_CSP } from './result-page';
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

@Injectable()
export class OAuthFlowService {
  private readonly logger = new Logger('OAuthFlow');

  constructor(
    private readonly catalog: ProviderCatalog,
    private readonly sessions: ConnectSessionsService,
    private readonly states: OAuthStateStore,
    private readonly connections: ConnectionsService,
    private readonly hooks: ConnectionHooks,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** GET /oauth/{provider}/authorize?session=… → 302 to the provider's consent screen. */
  async authorize(
    providerName: string,
    sessionToken: string | undefined,
    req: FlowRequest,
    res: FastifyReply,
  ): Promise<void> {
    const provider = this.catalog.find(providerName);
    if (!provider || !wellFormed(sessionToken))
      return this.end(res, null, providerName, { ok: false, error: 'invalid_state' });
    const opened = await this.sessions.open(sessionToken, provider.name);
    if (!opened.ok) return this.end(res, opened.session ?? null, providerName, { ok: false, error: opened.reason });
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
    const scope = session.scopes.length ? session.scopes : undefined;
    const failed = (error: unknown) => {
      this.logger.error({ err: error, provider: provider.name }, 'could not start the authorization');
      this.end(res, session, providerName, { ok: false, error: 'invalid_state' });
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
    if (!checked.ok) return this.end(res, session, providerName, { ok: false, error: checked.reason });
    const provider = this.catalog.find(providerName);
    if (!provider || !session) return this.end(res, session, providerName, { ok: false, error: 'invalid_state' });
    if (param('error')) return this.end(res, session, providerName, { ok: false, error: 'access_denied' });
    if (!param('code')) return this.end(res, session, providerName, { ok: false, error: 'token_exchange_failed' });

    req.flowState = checked.state;
    const tokens = await this.exchangeThroughPassport(provider, req, res);
    if (!tokens) return this.end(res, session, providerName, { ok: false, error: 'token_exchange_failed' });

    let identity: AccountIdentity;
    try {
      identity = await provider.identify(tokens);
    } catch (error) {
      this.logger.warn(
        { provider: provider.name, kind: (error as ProviderError).kind, reason: (error as Error).message },
        'identity lookup failed',
      );
      return this.end(res, session, providerName, { ok: false, error: 'identity_failed' });
    }
    const cleaned = cleanIdentity(identity);
    if (!cleaned.accountId) return this.end(res, session, providerName, { ok: false, error: 'identity_failed' });
    let connectionId: string;
    try {
      connectionId = await this.store(provider, session, tokens, cleaned);
    } catch (error) {
      // The flow still ends on the return URL or a page, never on a JSON 500.
      this.logger.error({ err: error, provider: provider.name }, 'could not store the connection');
      return this.end(res, session, providerName, { ok: false, error: 'internal_error' });
    }
    return this.end(res, session, providerName, { ok: true, connectionId });
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
    const { connection } = await this.connections.saveTokens({
      provider: provider.name,
      ownerId: session.ownerId,
      accountId: identity.accountId,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      tokenType: tokens.tokenType,
      ...lifetimes,
      scopes: provider.grantedScopes?.(tokens, session.scopes) ?? grantedScopes(tokens.scope, session.scopes),
      teamId: identity.teamId,
      teamName: identity.teamName,
      workspaceId: identity.workspaceId,
      workspaceName: identity.workspaceName,
      apiBaseUrl: identity.apiBaseUrl ?? provider.settings.apiBaseUrl,
      metadata: Object.keys(session.metadata).length ? session.metadata : undefined,
    });
    await this.sessions.recordConnection(session.id, connection.id);
    // Provider-side steps of a new connection (the uninstall subscription); never fails the connect.
    await this.hooks.connected(connection);
    return connection.id;
  }

  private end(res: FastifyReply, session: ConnectSessionEntity | null, providerName: string, ending: Ending): void {
    if (!ending.ok) this.logger.warn({ provider: providerName, error: ending.error }, 'connect flow failed');
    if (session?.returnUrl) {
      const params: Record<string, string> = ending.ok
        ? { connectionId: ending.connectionId, status: 'connected' }
        : { status: 'error', error: ending.error };
      void res.redirect(withQuery(session.returnUrl, params), 302);
      return;
    }
    res.header('Content-Security-Policy', RESULT_PAGE_CSP);
    void res
      .status(ending.ok ? 200 : 400)
      .type('text/html; charset=utf-8')
      .send(
        ending.ok
          ? successPage(this.catalog.find(providerName)?.settings.displayName ?? providerName, ending.connectionId)
          : errorPage(ending.error),
      );
  }
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
