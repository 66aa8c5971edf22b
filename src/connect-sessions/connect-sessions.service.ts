import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import { LessThan, Repository } from 'typeorm';
import { ReturnUrlNotAllowed } from '../common/errors';
import { appConfig } from '../config/app.config';
import { hashSecret } from '../crypto/secret-hash';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { ConnectSession, CreateConnectSessionRequest } from './connect-session.dto';
import { ConnectSessionEntity } from './connect-session.entity';
import { isAllowedReturnUrl } from './return-url';

export const CONNECT_SESSION_TTL_MS = 10 * 60 * 1000;

export type SessionLookup =
  | { ok: true; session: ConnectSessionEntity }
  | { ok: false; reason: 'invalid_state' | 'session_expired' | 'provider_mismatch'; session?: ConnectSessionEntity };

@Injectable()
export class ConnectSessionsService {
  constructor(
    @InjectRepository(ConnectSessionEntity) private readonly sessions: Repository<ConnectSessionEntity>,
    private readonly catalog: ProviderCatalog,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** `returnUrlIsOurs`: the service's own development page, which ALLOWED_RETURN_URLS need not list. */
  async create(
    body: CreateConnectSessionRequest,
    { returnUrlIsOurs = false, now = new Date() } = {},
  ): Promise<ConnectSession> {
    const provider = this.catalog.get(body.provider);
    if (
      body.returnUrl !== undefined &&
      !returnUrlIsOurs &&
      !isAllowedReturnUrl(body.returnUrl, this.app.allowedReturnUrls)
    )
      throw new ReturnUrlNotAllowed();
    const token = randomBytes(32).toString('base64url');
    const session = await this.sessions.save(
      this.sessions.create({
        id: randomUUID(),
        tokenHash: hashSecret(token),
        provider: provider.name,
        ownerId: body.ownerId,
        scopes: body.scopes ?? provider.settings.scopes,
        // Stored as parsed, so what is checked is exactly what the browser is later sent to.
        returnUrl: body.returnUrl !== undefined ? new URL(body.returnUrl).toString() : null,
        metadata: body.metadata ?? {},
        expiresAt: new Date(now.getTime() + CONNECT_SESSION_TTL_MS),
      }),
    );
    const url = new URL(`${this.app.publicUrl}/oauth/${encodeURIComponent(provider.name)}/authorize`);
    url.searchParams.set('session', token);
    return { id: session.id, url: url.toString(), expiresAt: session.expiresAt.toISOString() };
  }

  /**
   * Opens the one-time link: marks the session used in one statement (so a link starts one flow only)
   * and says why when it cannot.
   */
  async open(token: string, provider: string, now = new Date()): Promise<SessionLookup> {
    const tokenHash = hashSecret(token);
    const session = await this.sessions.findOneBy({ tokenHash });
    if (!session) return { ok: false, reason: 'invalid_state' };
    if (session.provider !== provider) return { ok: false, reason: 'provider_mismatch', session };
    if (session.usedAt) return { ok: false, reason: 'invalid_state', session };
    if (session.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'session_expired', session };
    const result = await this.sessions
      .createQueryBuilder()
      .update(ConnectSessionEntity)
      .set({ usedAt: now })
      .where('id = :id AND used_at IS NULL', { id: session.id })
      .execute();
    if (!result.affected) return { ok: false, reason: 'invalid_state', session };
    return { ok: true, session };
  }

  findById(id: string): Promise<ConnectSessionEntity | null> {
    return this.sessions.findOneBy({ id });
  }

  async recordConnection(id: string, connectionId: string): Promise<void> {
    await this.sessions.update({ id }, { connectionId });
  }

  /** Deletes connect sessions that expired before `before`; returns how many. */
  async purgeExpired(before: Date): Promise<number> {
    const result = await this.sessions.delete({ expiresAt: LessThan(before) });
    return result.affected ?? 0;
  }
}
