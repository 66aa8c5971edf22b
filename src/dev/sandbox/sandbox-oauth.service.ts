import { Injectable } from '@nestjs/common';
import type { FastifyRequest as Request } from 'fastify';
import { createHash } from 'node:crypto';
import { Outcome, SandboxFaultsService } from './sandbox-faults.service';
import { isExpired, SandboxGrantsService } from './sandbox-grants.service';
import type { ClientAuth, GrantType, ProviderSimulator } from './simulators/simulator';
import {
  basicCredentials,
  bodyFormat,
  internalOrigin,
  invalidClient,
  invalidGrant,
  invalidRequest,
  json,
  Params,
  safeEqual,
  SandboxReply,
  unsupportedGrantType,
} from './simulators/wire';

const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * The server-to-server half of each simulator: token (code and refresh grants) and revoke. The checks
 * every OAuth server makes are here, parameterised by the simulator's wire rules; the simulator adds its
 * provider's quirks and shapes the answer.
 */
@Injectable()
export class SandboxOAuthService {
  constructor(
    private readonly grants: SandboxGrantsService,
    private readonly faults: SandboxFaultsService,
  ) {}

  token(provider: ProviderSimulator, req: Request): Promise<SandboxReply> {
    const params = Params.of(req.body);
    const wire = provider.wire;
    const grantType = params.peek('grant_type') ?? (wire.grantTypeOptional ? 'authorization_code' : null);
    return this.faults.run(
      provider,
      { endpoint: 'token', grantType, faults: grantType === 'refresh_token' ? ['token', 'refresh'] : ['token'] },
      async () => {
        this.checkBodyFormat(provider, req);
        this.authenticateClient(provider, req, params, wire.clientAuth);
        const given = params.get('grant_type') ?? (wire.grantTypeOptional ? 'authorization_code' : undefined);
        if (!given) throw invalidRequest('grant_type is missing');
        if (!wire.grantTypes.includes(given as GrantType))
          throw unsupportedGrantType(`grant_type ${given} is not supported by ${provider.displayName}`);
        return given === 'refresh_token' ? this.refresh(provider, params) : this.redeemCode(provider, req, params);
      },
    );
  }

  /** Only for a simulator with a revoke endpoint (the controller answers 404 for the others). */
  revoke(provider: ProviderSimulator, req: Request): Promise<SandboxReply> {
    return this.faults.run(provider, { endpoint: 'revoke', faults: ['revoke'] }, async () => {
      const style = provider.revoke;
      if (!style) throw new Error(`${provider.displayName} has no revoke endpoint`);
      const format = bodyFormat(req);
      if (format !== 'json' && format !== 'form')
        throw invalidRequest('The body must be JSON or application/x-www-form-urlencoded');
      const params = Params.of(req.body);
      this.authenticateClient(provider, req, params, style.clientAuth);
      const token = params.get(style.tokenParam);
      if (!token) throw invalidRequest(`${style.tokenParam} is missing`);
      const grantId = await this.revokeGrantOf(provider, token);
      return { reply: json(style.answer), grantId };
    });
  }

  private async revokeGrantOf(provider: ProviderSimulator, token: string): Promise<string | null> {
    const entity = await this.grants.findToken(provider, token);
    if (!entity) return null;
    await this.grants.revokeGrant(provider, entity.grantId);
    return entity.grantId;
  }

  private checkBodyFormat(provider: ProviderSimulator, req: Request): void {
    const format = bodyFormat(req);
    const accepted = provider.wire.tokenBody;
    if ((format === 'json' && accepted.json) || (format === 'form' && accepted.form)) {
      provider.checkTokenRequest(req, format);
      return;
    }
    const expected = [accepted.json && 'application/json', accepted.form && 'application/x-www-form-urlencoded']
      .filter(Boolean)
      .join(' or ');
    throw invalidRequest(`The ${provider.displayName} token endpoint expects a ${expected} body`);
  }

  private authenticateClient(provider: ProviderSimulator, req: Request, params: Params, methods: ClientAuth[]): void {
    const basic = methods.includes('basic') ? basicCredentials(req) : undefined;
    const credentials =
      basic ??
      (methods.includes('body') ? { id: params.get('client_id'), secret: params.get('client_secret') } : undefined);
    if (!credentials?.id || credentials.secret === undefined) throw invalidClient('Client authentication is missing');
    const idOk = safeEqual(credentials.id, provider.clientId);
    const secretOk = safeEqual(credentials.secret, provider.clientSecret);
    if (!idOk || !secretOk) throw invalidClient();
  }

  private async redeemCode(provider: ProviderSimulator, req: Request, params: Params): Promise<Outcome> {
    const code = params.get('code');
    if (!code) throw invalidRequest('code is missing');
    const entity = await this.grants.findCode(provider, code);
    if (!entity) throw invalidGrant('The authorization code is invalid');
    if (entity.usedAt) throw invalidGrant('The authorization code has already been used');
    if (isExpired(entity.expiresAt)) throw invalidGrant('The authorization code has expired');
    if (entity.clientId !== provider.clientId)
      throw invalidGrant('The authorization code was issued to another client');
    provider.checkRedirectUri(entity.redirectUri, params.get('redirect_uri'));
    if (provider.wire.pkce && entity.codeChallenge) {
      const verifier = params.get('code_verifier');
      if (!verifier || !PKCE_VERIFIER.test(verifier)) throw invalidGrant('code_verifier is missing or malformed');
      if (createHash('sha256').update(verifier, 'ascii').digest('base64url') !== entity.codeChallenge)
        throw invalidGrant('code_verifier does not match the code_challenge');
    }
    if (!(await this.grants.consumeCode(entity))) throw invalidGrant('The authorization code has already been used');
    const account = provider.accountAtIssue(entity.account, internalOrigin(req));
    const issued = await this.grants.issue(provider, account, entity.scope);
    return { reply: json(provider.tokenResponse(issued, account, entity.scope)), grantId: issued.grantId };
  }

  private async refresh(provider: ProviderSimulator, params: Params): Promise<Outcome> {
    const token = params.get('refresh_token');
    if (!token) throw invalidRequest('refresh_token is missing');
    const entity = await this.grants.findToken(provider, token);
    if (!entity || entity.kind !== 'refresh') throw invalidGrant('The refresh token is invalid');
    if (entity.usedAt)
      throw invalidGrant('The refresh token was already used (it is replaced on every refresh)').forGrant(
        entity.grantId,
      );
    if (entity.revokedAt) throw invalidGrant('The refresh token was revoked').forGrant(entity.grantId);
    if (isExpired(entity.expiresAt)) throw invalidGrant('The refresh token has expired').forGrant(entity.grantId);
    // Rotation: the old refresh token dies with this call, the new pair belongs to the same grant.
    if (!(await this.grants.consumeRefreshToken(entity)))
      throw invalidGrant('The refresh token was already used (it is replaced on every refresh)').forGrant(
        entity.grantId,
      );
    const issued = await this.grants.issue(provider, entity.account, entity.scope, entity.grantId);
    return {
      reply: json(provider.tokenResponse(issued, entity.account, entity.scope)),
      grantId: issued.grantId,
    };
  }
}
