import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { SandboxCodeEntity, SandboxTokenEntity } from './sandbox.entities';
import type { IssuedTokens, ProviderSimulator, SandboxAccount, TokenProblem } from './simulators/simulator';
import { randomSecret, sha256Hex } from './simulators/wire';

/** Webflow documents a 15-minute code lifetime; the simulator uses it for every provider. */
export const CODE_TTL_SECONDS = 15 * 60;

export interface NewCode {
  clientId: string;
  redirectUri: string | null;
  scope: string;
  codeChallenge: string | null;
  account: SandboxAccount;
}

const later = (seconds: number | null) => (seconds === null ? null : new Date(Date.now() + seconds * 1000));
const tokenPrefix = (provider: ProviderSimulator, kind: 'at' | 'rt') =>
  `sbx_${provider.name.replace(/-/g, '_')}_${kind}_`;

/** Codes and tokens of the simulators, stored as SHA-256 hashes only. */
@Injectable()
export class SandboxGrantsService {
  constructor(
    @InjectRepository(SandboxCodeEntity) private readonly codes: Repository<SandboxCodeEntity>,
    @InjectRepository(SandboxTokenEntity) private readonly tokens: Repository<SandboxTokenEntity>,
  ) {}

  async createCode(provider: ProviderSimulator, input: NewCode): Promise<string> {
    const code = randomSecret();
    await this.codes.insert({
      codeHash: sha256Hex(code),
      provider: provider.name,
      ...input,
      expiresAt: later(CODE_TTL_SECONDS) as Date,
      usedAt: null,
    });
    return code;
  }

  findCode(provider: ProviderSimulator, code: string): Promise<SandboxCodeEntity | null> {
    return this.codes.findOneBy({ codeHash: sha256Hex(code), provider: provider.name });
  }

  /** Single use: only one of two racing exchanges gets true. */
  async consumeCode(entity: SandboxCodeEntity): Promise<boolean> {
    const result = await this.codes.update({ codeHash: entity.codeHash, usedAt: IsNull() }, { usedAt: new Date() });
    return result.affected === 1;
  }

  async issue(
    provider: ProviderSimulator,
    account: SandboxAccount,
    scope: string,
    grantId: string = randomUUID(),
  ): Promise<IssuedTokens> {
    const accessToken = `${tokenPrefix(provider, 'at')}${randomSecret()}`;
    const rows: Array<Partial<SandboxTokenEntity>> = [
      {
        tokenHash: sha256Hex(accessToken),
        provider: provider.name,
        kind: 'access',
        grantId,
        account,
        scope,
        expiresAt: later(provider.wire.accessTokenTtlSeconds),
      },
    ];
    let refreshToken: string | undefined;
    if (provider.wire.grantTypes.includes('refresh_token')) {
      refreshToken = `${tokenPrefix(provider, 'rt')}${randomSecret()}`;
      rows.push({
        tokenHash: sha256Hex(refreshToken),
        provider: provider.name,
        kind: 'refresh',
        grantId,
        account,
        scope,
        expiresAt: later(provider.wire.refreshTokenTtlSeconds),
      });
    }
    await this.tokens.insert(rows);
    return { grantId, accessToken, refreshToken };
  }

  findToken(provider: ProviderSimulator, token: string): Promise<SandboxTokenEntity | null> {
    return this.tokens.findOneBy({ tokenHash: sha256Hex(token), provider: provider.name });
  }

  /** Rotation: marks the refresh token used; only one of two racing refreshes gets true. */
  async consumeRefreshToken(entity: SandboxTokenEntity): Promise<boolean> {
    const result = await this.tokens.update(
      { tokenHash: entity.tokenHash, usedAt: IsNull(), revokedAt: IsNull() },
      { usedAt: new Date() },
    );
    return result.affected === 1;
  }

  /** A usable access token of this provider, or why it is not (a refresh token is unknown here). */
  async checkAccessToken(
    provider: ProviderSimulator,
    token: string,
  ): Promise<{ token: SandboxTokenEntity; problem?: never } | { token?: never; problem: TokenProblem }> {
    const entity = await this.findToken(provider, token);
    if (!entity || entity.kind !== 'access') return { problem: 'unknown' };
    if (entity.revokedAt) return { problem: 'revoked' };
    if (isExpired(entity.expiresAt)) return { problem: 'expired' };
    return { token: entity };
  }

  async revokeGrant(provider: ProviderSimulator, grantId: string): Promise<void> {
    await this.tokens.update({ provider: provider.name, grantId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }
}

export const isExpired = (expiresAt: Date | null) => expiresAt !== null && expiresAt.getTime() <= Date.now();
