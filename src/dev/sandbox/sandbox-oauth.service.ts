import { Injectable } from '@nestjs/common';
import type { FastifyRequest as Request } from 'fastify';
import { createHash } from 'node:crypto';
import { SandboxAccount, SandboxCodeEntity } from './sandbox.entities';
import { keapHost } from './sandbox-accounts';
import { Outcome, SandboxFaultsService } from './sandbox-faults.service';
import { IssuedTokens, isExpired, SandboxGrantsService } from './sandbox-grants.service';
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
} from './sandbox-http';
import { ClientAuth, GrantType, sandboxClientId, sandboxClientSecret, SandboxProvider } from './sandbox-providers';

const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** The server-to-server half of each simulator: token (code and refresh grants) and revoke. */
@Injectable()
export class SandboxOAuthService {
  constructor(
    private readonly grants: SandboxGrantsService,
    private readonly faults: SandboxFaultsService,
  ) {}

  token(provider: SandboxProvider, req: Request): Promise<SandboxReply> {
    const params = Params.of(req.body);
    const grantType = params.peek('grant_type') ?? (provider.grantTypeOptional ? 'authorization_code' : null);
    return this.faults.run(
      provider,
      { endpoint: 'token', grantType, faults: grantType === 'refresh_token' ? ['token', 'refresh'] : ['token'] },
      async () => {
        this.checkBodyFormat(provider, req);
        this.authenticateClient(provider, req, params, provider.clientAuth);
        const given = params.get('grant_type') ?? (provider.grantTypeOptional ? 'authorization_code' : undefined);
        if (!given) throw invalidRequest('grant_type is missing');
        if (!provider.grantTypes.includes(given as GrantType))
          throw unsupportedGrantType(`grant_type ${given} is not supported by ${provider.displayName}`);
        return given === 'refresh_token' ? this.refresh(provider, params) : this.redeemCode(provider, req, params);
      },
    );
  }

  revoke(provider: SandboxProvider, req: Request): Promise<SandboxReply> {
    return this.faults.run(provider, { endpoint: 'revoke', faults: ['revoke'] }, async () => {
      const format = bodyFormat(req);
      if (format !== 'json' && format !== 'form')
        throw invalidRequest('The body must be JSON or application/x-www-form-urlencoded');
      const params = Params.of(req.body);
      if (provider.revoke === 'webflow') {
        this.authenticateClient(provider, req, params, ['body']);
        const token = params.get('access_token');
        if (!token) throw invalidRequest('access_token is missing');
        const grantId = await this.revokeGrantOf(provider, token);
        return { reply: json({ did_revoke: true }), grantId };
      }
      // Doorkeeper's RFC 7009 endpoint: 200 whether or not the token was known.
      this.authenticateClient(provider, req, params, ['body', 'basic']);
      const token = params.get('token');
      if (!token) throw invalidRequest('token is missing');
      const grantId = await this.revokeGrantOf(provider, token);
      return { reply: json({}), grantId };
    });
  }

  private async revokeGrantOf(provider: SandboxProvider, token: string): Promise<string | null> {
    const entity = await this.grants.findToken(provider, token);
    if (!entity) return null;
    await this.grants.revokeGrant(provider, entity.grantId);
    return entity.grantId;
  }

  private checkBodyFormat(provider: SandboxProvider, req: Request): void {
    const format = bodyFormat(req);
    if (format === 'json' && provider.tokenBody.json) return;
    if (format === 'form' && provider.tokenBody.form) {
      if (provider.name === 'lightfunnels' && !basicCredentials(req)) {
        throw invalidRequest(
          'Lightfunnels takes a form body only with HTTP Basic client authentication; send JSON {client_id, client_secret, code}',
        );
      }
      return;
    }
    const expected = [
      provider.tokenBody.json && 'application/json',
      provider.tokenBody.form && 'application/x-www-form-urlencoded',
    ]
      .filter(Boolean)
      .join(' or ');
    throw invalidRequest(`The ${provider.displayName} token endpoint expects a ${expected} body`);
  }

  private authenticateClient(provider: SandboxProvider, req: Request, params: Params, methods: ClientAuth[]): void {
    const basic = methods.includes('basic') ? basicCredentials(req) : undefined;
    const credentials =
      basic ??
      (methods.includes('body') ? { id: params.get('client_id'), secret: params.get('client_secret') } : undefined);
    if (!credentials?.id || credentials.secret === undefined) throw invalidClient('Client authentication is missing');
    const idOk = safeEqual(credentials.id, sandboxClientId(provider));
    const secretOk = safeEqual(credentials.secret, sandboxClientSecret(provider));
    if (!idOk || !secretOk) throw invalidClient();
  }

  private async redeemCode(provider: SandboxProvider, req: Request, params: Params): Promise<Outcome> {
    const code = params.get('code');
    if (!code) throw invalidRequest('code is missing');
    const entity = await this.grants.findCode(provider, code);
    if (!entity) throw invalidGrant('The authorization code is invalid');
    if (entity.usedAt) throw invalidGrant('The authorization code has already been used');
    if (isExpired(entity.expiresAt)) throw invalidGrant('The authorization code has expired');
    if (entity.clientId !== sandboxClientId(provider))
      throw invalidGrant('The authorization code was issued to another client');
    this.checkRedirectUri(provider, entity, params.get('redirect_uri'));
    if (provider.pkce && entity.codeChallenge) {
      const verifier = params.get('code_verifier');
      if (!verifier || !PKCE_VERIFIER.test(verifier)) throw invalidGrant('code_verifier is missing or malformed');
      if (createHash('sha256').update(verifier, 'ascii').digest('base64url') !== entity.codeChallenge)
        throw invalidGrant('code_verifier does not match the code_challenge');
    }
    if (!(await this.grants.consumeCode(entity))) throw invalidGrant('The authorization code has already been used');
    const account: SandboxAccount =
      provider.name === 'clickfunnels'
        ? {
            ...entity.account,
            workspaceUrl: `${internalOrigin(req)}/sandbox/clickfunnels/api/workspaces/${entity.account.workspaceId}`,
          }
        : entity.account;
    const issued = await this.grants.issue(provider, account, entity.scope);
    return { reply: json(tokenResponse(provider, issued, account, entity.scope)), grantId: issued.grantId };
  }

  private checkRedirectUri(provider: SandboxProvider, code: SandboxCodeEntity, given: string | undefined): void {
    switch (provider.redirectUriAtToken) {
      case 'required':
        if (given === undefined) throw invalidRequest('redirect_uri is missing');
        if (given !== code.redirectUri)
          throw invalidGrant('redirect_uri does not match the one of the authorization request');
        return;
      case 'if_authorized':
        // Webflow: once the authorize step named a redirect_uri, the token step must repeat it (omitting it is invalid_grant too).
        if (code.redirectUri !== null && given !== code.redirectUri)
          throw invalidGrant('redirect_uri is missing or does not match the one of the authorization request');
        return;
      case 'ignored':
        return;
    }
  }

  private async refresh(provider: SandboxProvider, params: Params): Promise<Outcome> {
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
    return { reply: json(tokenResponse(provider, issued, entity.account, entity.scope)), grantId: issued.grantId };
  }
}

/** Each provider's token response, field for field as docs/providers.md shows it. */
function tokenResponse(
  provider: SandboxProvider,
  issued: IssuedTokens,
  account: SandboxAccount,
  scope: string,
): Record<string, unknown> {
  switch (provider.name) {
    case 'keap':
      return {
        access_token: issued.accessToken,
        token_type: 'bearer',
        expires_in: 86_400,
        refresh_token: issued.refreshToken,
        scope: `${scope}|${keapHost(account)}`,
      };
    case 'clickfunnels':
      return {
        access_token: issued.accessToken,
        token_type: 'Bearer',
        expires_in: 7200,
        scope,
        created_at: Math.floor(Date.now() / 1000),
        team_id: account.teamId,
        team_name: account.teamName,
        workspace_id: account.workspaceId,
        workspace_name: account.workspaceName,
        workspace_url: account.workspaceUrl,
      };
    case 'clickfunnels-classic':
      return {
        access_token: issued.accessToken,
        token_type: 'bearer',
        expires_in: 7200,
        refresh_token: issued.refreshToken,
      };
    case 'lightfunnels':
      return { access_token: issued.accessToken };
    case 'webflow':
      return { access_token: issued.accessToken, token_type: 'bearer' };
  }
}
