import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { In, LessThan, Repository } from 'typeorm';
import { ConnectSessionNotFound, ReturnUrlNotAllowed, ValidationFailed } from '../common/errors';
import { appConfig } from '../config/app.config';
import { ConnectionsService } from '../connections/connections.service';
import { hashSecret } from '../crypto/secret-hash';
import { OAuthProvider } from '../providers/core/provider';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { ConnectSession, ConnectSessionState, CreateConnectSessionRequest } from './connect-session.dto';
import { ConnectSessionEntity } from './connect-session.entity';
import { isAllowedReturnUrl } from './return-url';
import { CONNECT_SESSION_TTL_MS, FlowEnding, isOver, SessionState } from './session-outcome';

export { CONNECT_SESSION_TTL_MS } from './session-outcome';

export type SessionLookup =
  | { ok: true; session: ConnectSessionEntity }
  | { ok: false; reason: 'invalid_state' | 'session_expired' | 'provider_mismatch'; session?: ConnectSessionEntity };

/** What the browser brought to the connect link, already checked against ALLOWED_RETURN_URLS. */
export interface BrowserContext {
  /** The opener page's origin (an allowed one). */
  origin?: string | null;
  /** A return URL for the redirect fallback (an allowed one), kept only when the session has none. */
  returnTo?: string | null;
}

/** Compared when no session has the id, so an unknown id costs what a wrong token does. */
const NO_SESSION_HASH = hashSecret('no session has this observe token');

@Injectable()
export class ConnectSessionsService {
  /** Local waiters of the observe channel, woken when this replica records a session's end. */
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    @InjectRepository(ConnectSessionEntity) private readonly sessions: Repository<ConnectSessionEntity>,
    private readonly catalog: ProviderCatalog,
    private readonly connections: ConnectionsService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** `returnUrlIsOurs`: the service's own development page, which ALLOWED_RETURN_URLS need not list. */
  async create(
    body: CreateConnectSessionRequest,
    { returnUrlIsOurs = false, now = new Date() } = {},
  ): Promise<ConnectSession> {
    const { providers, ownerId, reconnectConnectionId } = await this.target(body);
    if (
      body.returnUrl !== undefined &&
      !returnUrlIsOurs &&
      !isAllowedReturnUrl(body.returnUrl, this.app.allowedReturnUrls)
    )
      throw new ReturnUrlNotAllowed();
    const token = randomBytes(32).toString('base64url');
    const observeToken = randomBytes(32).toString('base64url');
    const single = providers.length === 1 ? providers[0] : null;
    const session = await this.sessions.save(
      this.sessions.create({
        id: randomUUID(),
        tokenHash: hashSecret(token),
        observeTokenHash: hashSecret(observeToken),
        providers: providers.map((p) => p.name),
        provider: single?.name ?? null,
        ownerId,
        // Several providers: no one provider's defaults; the flow takes the chosen one's.
        scopes: body.scopes ?? single?.settings.scopes ?? [],
        // Stored as parsed, so what is checked is exactly what the browser is later sent to.
        returnUrl: body.returnUrl !== undefined ? new URL(body.returnUrl).toString() : null,
        metadata: body.metadata ?? {},
        reconnectConnectionId,
        expiresAt: new Date(now.getTime() + CONNECT_SESSION_TTL_MS),
      }),
    );
    const url = new URL(
      single
        ? `${this.app.publicUrl}/oauth/${encodeURIComponent(single.name)}/authorize`
        : `${this.app.publicUrl}/connect`,
    );
    url.searchParams.set('session', token);
    return {
      id: session.id,
      url: url.toString(),
      expiresAt: session.expiresAt.toISOString(),
      observeToken,
      providers: session.providers,
    };
  }

  /**
   * The providers and owner of a new session. Exactly one of provider and providers; a reconnect pins
   * both to its connection's (404 when it does not exist), and what else the body says must agree.
   */
  private async target(
    body: CreateConnectSessionRequest,
  ): Promise<{ providers: OAuthProvider[]; ownerId: string; reconnectConnectionId: string | null }> {
    const provider = body.provider ?? undefined;
    const listed = body.providers ?? undefined;
    if (provider !== undefined && listed !== undefined)
      throw new ValidationFailed('Give provider or providers, not both');
    if (body.reconnect) {
      const connection = await this.connections.get(body.reconnect.connectionId);
      if (provider !== undefined && provider !== connection.provider)
        throw new ValidationFailed('provider must be the provider of the connection to reconnect');
      if (listed !== undefined && (listed.length !== 1 || listed[0] !== connection.provider))
        throw new ValidationFailed('providers must be only the provider of the connection to reconnect');
      if (body.ownerId !== undefined && body.ownerId !== null && body.ownerId !== connection.ownerId)
        throw new ValidationFailed('ownerId must be the owner of the connection to reconnect');
      return {
        providers: [this.catalog.get(connection.provider)],
        ownerId: connection.ownerId,
        reconnectConnectionId: connection.id,
      };
    }
    if (provider === undefined && listed === undefined) throw new ValidationFailed('provider or providers is required');
    if (body.ownerId === undefined || body.ownerId === null)
      throw new ValidationFailed('ownerId is required (unless reconnect is given)');
    const names = listed ?? [provider as string];
    return {
      providers: names.map((name) => this.catalog.get(name)),
      ownerId: body.ownerId,
      reconnectConnectionId: null,
    };
  }

  /** The session a connect link names, to show it (the hosted picker) without opening it. */
  async peek(token: string, now = new Date()): Promise<SessionLookup> {
    const session = await this.sessions.findOneBy({ tokenHash: hashSecret(token) });
    if (!session) return { ok: false, reason: 'invalid_state' };
    if (session.usedAt) return { ok: false, reason: 'invalid_state', session };
    if (session.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'session_expired', session };
    return { ok: true, session };
  }

  /**
   * Opens the one-time link at one of its providers: marks the session used, records the provider and
   * what the browser brought, all in one statement (so a link starts one flow only), and says why when
   * it cannot.
   */
  async open(token: string, provider: string, browser: BrowserContext = {}, now = new Date()): Promise<SessionLookup> {
    const tokenHash = hashSecret(token);
    const session = await this.sessions.findOneBy({ tokenHash });
    if (!session) return { ok: false, reason: 'invalid_state' };
    if (!session.providers.includes(provider)) return { ok: false, reason: 'provider_mismatch', session };
    if (session.usedAt) return { ok: false, reason: 'invalid_state', session };
    if (session.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'session_expired', session };
    const origin = browser.origin ?? session.origin;
    const returnUrl = session.returnUrl ?? browser.returnTo ?? null;
    const result = await this.sessions
      .createQueryBuilder()
      .update(ConnectSessionEntity)
      .set({ usedAt: now, provider, origin, returnUrl })
      .where('id = :id AND used_at IS NULL', { id: session.id })
      .execute();
    if (!result.affected) return { ok: false, reason: 'invalid_state', session };
    return { ok: true, session: Object.assign(session, { usedAt: now, provider, origin, returnUrl }) };
  }

  findById(id: string): Promise<ConnectSessionEntity | null> {
    return this.sessions.findOneBy({ id });
  }

  /**
   * Records how the flow ended, once: only a pending session changes (a late second ending, which the
   * flow never sends, would not overwrite the first). Wakes this replica's observers of the session.
   */
  async finish(id: string, ending: FlowEnding): Promise<boolean> {
    const fields =
      ending.status === 'connected'
        ? { status: ending.status, connectionId: ending.connectionId, provider: ending.provider, error: null }
        : { status: ending.status, error: ending.error };
    const result = await this.sessions
      .createQueryBuilder()
      .update(ConnectSessionEntity)
      .set(fields)
      .where(`id = :id AND status = 'pending'`, { id })
      .execute();
    for (const wake of this.waiters.get(id) ?? []) wake();
    return Boolean(result.affected);
  }

  /** GET /connect-sessions/{id}. */
  async describe(id: string, now = new Date()): Promise<ConnectSessionState> {
    const session = await this.findById(id);
    if (!session) throw new ConnectSessionNotFound(id);
    return { id: session.id, ...stateOf(session, now), expiresAt: session.expiresAt.toISOString() };
  }

  /**
   * The session an observe token proves, or null: the same answer for an unknown id and a wrong
   * token, the hashes compared in constant time either way.
   */
  async observed(id: string, observeToken: string): Promise<ConnectSessionEntity | null> {
    const session = await this.findById(id);
    const expected = session?.observeTokenHash ?? NO_SESSION_HASH;
    const same = timingSafeEqual(Buffer.from(hashSecret(observeToken)), Buffer.from(expected));
    return session?.observeTokenHash && same ? session : null;
  }

  /** The session's state now, read again from the database (another replica may have ended it). */
  async stateNow(id: string, now = new Date()): Promise<SessionState | null> {
    const session = await this.findById(id);
    return session ? stateOf(session, now) : null;
  }

  /**
   * The states of several sessions now, in one statement on the columns a state needs (the observe
   * channel's shared poll); a session that no longer exists is missing from the map.
   */
  async statesNow(ids: readonly string[], now = new Date()): Promise<Map<string, SessionState>> {
    if (!ids.length) return new Map();
    const rows = await this.sessions.find({
      where: { id: In([...ids]) },
      select: {
        id: true,
        status: true,
        connectionId: true,
        provider: true,
        error: true,
        expiresAt: true,
        usedAt: true,
      },
    });
    return new Map(rows.map((row) => [row.id, stateOf(row, now)]));
  }

  /** Calls `wake` when this replica records the session's end; returns the unsubscribe. */
  onEnded(id: string, wake: () => void): () => void {
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (!set.size && this.waiters.get(id) === set) this.waiters.delete(id);
    };
  }

  /** Deletes connect sessions that expired before `before`; returns how many. */
  async purgeExpired(before: Date): Promise<number> {
    const result = await this.sessions.delete({ expiresAt: LessThan(before) });
    return result.affected ?? 0;
  }
}

/** What a session tells: its recorded end, or pending / expired. */
export function stateOf(session: ConnectSessionEntity, now = new Date()): SessionState {
  const provider = session.provider ?? undefined;
  if (session.status === 'connected')
    return { status: 'connected', connectionId: session.connectionId ?? undefined, provider };
  if (session.status === 'error') return { status: 'error', provider, error: session.error ?? 'internal_error' };
  return { status: isOver(session, now) ? 'expired' : 'pending', provider };
}
