import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { hashSecret } from '../crypto/secret-hash';
import { IsNull, LessThan, Repository } from 'typeorm';
import { TokenCipher } from '../crypto/token-cipher';
import { FLOW_TTL_MS } from '../connect-sessions/session-outcome';
import { OAuthStateEntity } from './oauth-state.entity';

/** A flow's own lifetime once its link was opened; a connect session reads as expired only after it. */
export const STATE_TTL_MS = FLOW_TTL_MS;

/** The binding cookie of one flow: named after its state, so parallel flows in one browser do not collide. */
export const bindingCookieName = (state: string) => `oauth_flow_${hashSecret(state).slice(0, 16)}`;

/** Encryption context of a flow state's PKCE verifier: binds the ciphertext to this row and field. */
export const verifierContext = (id: string) => ({ table: 'oauth_states', id, field: 'code_verifier' });

/** What the OAuth routes attach to the request before handing it to Passport. */
export interface FlowRequest extends FastifyRequest {
  /** Set on authorize: the connect session the new state belongs to, and how to set the binding cookie. */
  flowSession?: { id: string; provider: string; bind: (state: string, nonce: string) => void };
  /** Set on callback: the state row, already validated and consumed. */
  flowState?: OAuthStateEntity;
}

/**
 * `spent`: the state had been consumed before this request (a replayed or racing callback): the flow
 * it belongs to was ended, or is being ended, by another request, whose outcome stands.
 */
export type StateCheck =
  | { ok: true; state: OAuthStateEntity }
  | {
      ok: false;
      reason: 'invalid_state' | 'session_expired' | 'provider_mismatch';
      state?: OAuthStateEntity;
      spent?: true;
    };

type StoreCallback = (err: Error | null, state?: string) => void;
type VerifyCallback = (err: Error | null, ok?: string | boolean, info?: unknown) => void;

/**
 * passport-oauth2's `store` backed by the oauth_states table: no express-session, nothing in memory, so
 * any replica can finish a flow another started. Passport calls these by argument count (5 for store,
 * 4 for verify, which then returns the PKCE verifier), so they keep plain callback signatures.
 */
@Injectable()
export class OAuthStateStore {
  constructor(
    @InjectRepository(OAuthStateEntity) private readonly states: Repository<OAuthStateEntity>,
    private readonly cipher: TokenCipher,
  ) {}

  store(
    req: FlowRequest,
    verifier: string | undefined,
    _state: unknown,
    meta: { callbackURL?: string },
    callback: StoreCallback,
  ): void {
    const session = req.flowSession;
    if (!session) {
      callback(new Error('No connect session on the request'));
      return;
    }
    const value = randomBytes(32).toString('base64url');
    const nonce = randomBytes(32).toString('base64url');
    const id = randomUUID();
    // Its own ten minutes: the link is spent once opened, and the user may need time at the provider (2FA).
    const expiresAt = new Date(Date.now() + STATE_TTL_MS);
    this.states
      .insert({
        id,
        stateHash: hashSecret(value),
        provider: session.provider,
        connectSessionId: session.id,
        codeVerifier: verifier ? this.cipher.encrypt(verifier, verifierContext(id)) : null,
        browserBinding: hashSecret(nonce),
        redirectUri: meta.callbackURL ?? '',
        expiresAt,
      })
      .then(
        () => {
          session.bind(value, nonce);
          callback(null, value);
        },
        (error: Error) => callback(error),
      );
  }

  /** The callback route consumed and checked the state already; hand Passport the PKCE verifier. */
  verify(req: FlowRequest, _providedState: string, _meta: unknown, callback: VerifyCallback): void {
    const state = req.flowState;
    if (!state) {
      callback(null, false, { message: 'state not validated' });
      return;
    }
    try {
      callback(null, state.codeVerifier ? this.cipher.decrypt(state.codeVerifier, verifierContext(state.id)) : true);
    } catch (error) {
      callback(error as Error);
    }
  }

  /**
   * Single use: marks the state consumed in one statement, so two callbacks racing with the same state
   * cannot both win. Then checks its age and the provider it was issued for (mix-up defence).
   */
  async consume(
    value: string,
    provider: string,
    bindingNonce: string | undefined,
    now = new Date(),
  ): Promise<StateCheck> {
    const stateHash = hashSecret(value);
    const result = await this.states
      .createQueryBuilder()
      .update(OAuthStateEntity)
      .set({ consumedAt: now })
      .where({ stateHash, consumedAt: IsNull() })
      .returning('*')
      .execute();
    const raw = (result.raw as Record<string, unknown>[])[0];
    if (!raw) {
      const spent = await this.states.findOneBy({ stateHash });
      return { ok: false, reason: 'invalid_state', state: spent ?? undefined, spent: true };
    }
    const state = this.states.create({
      id: raw.id as string,
      stateHash,
      provider: raw.provider as string,
      connectSessionId: raw.connect_session_id as string,
      codeVerifier: raw.code_verifier as string | null,
      redirectUri: raw.redirect_uri as string,
      browserBinding: raw.browser_binding as string | null,
      expiresAt: new Date(raw.expires_at as string),
      consumedAt: now,
    });
    if (state.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'session_expired', state };
    if (state.provider !== provider) return { ok: false, reason: 'provider_mismatch', state };
    if (!state.browserBinding || !bindingNonce || !safeEqualHex(hashSecret(bindingNonce), state.browserBinding))
      return { ok: false, reason: 'invalid_state', state };
    return { ok: true, state };
  }

  /** Deletes flow states that expired before `before`; returns how many. */
  async purgeExpired(before: Date): Promise<number> {
    const result = await this.states.delete({ expiresAt: LessThan(before) });
    return result.affected ?? 0;
  }
}

function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
