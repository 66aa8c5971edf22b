import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { SandboxAccount, SandboxCodeEntity, SandboxTokenEntity } from './sandbox.entities';
import { randomSecret, sha256Hex } from './sandbox-http';
import { CODE_TTL_SECONDS, SandboxProvider } from './sandbox-providers';

export interface NewCode {
  clientId: string;
  redirectUri: string | null;
  scope: string;
  codeChallenge: string | null;
  account: SandboxAccount;
}

export interface IssuedTokens {
  grantId: string;
  accessToken: string;
  refreshToken?: string;
}

const later = (seconds: number | null) => (seconds === null ? null : new Date(Date.now() + seconds * 1000));
const tokenPrefix = (provider: SandboxProvider, kind: 'at' | 'rt') =>
  `sbx_${provider.name.replace(/-/g, '_')}_${kind}_`;

/** Codes and tokens of the simulators, stored as SHA-256 hashes only. */
@Injectable()
export class SandboxGrantsService {
  constructor(
    @InjectRepository(SandboxCodeEntity) private readonly codes: Repository<SandboxCodeEntity>,
    @InjectRepository(SandboxTokenEntity) private readonly tokens: Repository<SandboxTokenEntity>,
  ) {}

  async createCode(provider: SandboxProvider, input: NewCode): Promise<string> {
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

  findCode(provider: SandboxProvider, code: string): Promise<SandboxCodeEntity | null> {
    return this.codes.findOneBy({ codeHash: sha256Hex(code), provider: provider.name });
  }

  /** Single use: only one of two racing exchanges gets true. */
  async consumeCode(entity: SandboxCodeEntity): Promise<boolean> {
    const result = await this.codes.update({ codeHash: entity.codeHash, usedAt: IsNull() }, { usedAt: new Date() });
    return result.affected === 1;
  }

  async issue(
    provider: SandboxProvider,
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
        expiresAt: later(provider.accessTokenTtlSeconds),
      },
    ];
    let refreshToken: string | undefined;
    if (provider.grantTypes.includes('refresh_token')) {
      refreshToken = `${tokenPrefix(provider, 'rt')}${randomSecret()}`;
      rows.push({
        tokenHash: sha256Hex(refreshToken),
        provider: provider.name,
        kind: 'refresh',
        grantId,
        account,
        scope,
        expiresAt: later(provider.refreshTokenTtlSeconds),
      });
    }
    await this.tokens.insert(rows);
    return { grantId, accessToken, refreshToken };
  }

  findToken(provider: SandboxProvider, token: string): Promise<SandboxTokenEntity | null> {
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

  /** A usable access token of this provider, or null (unknown, revoked or expired). */
  async validAccessToken(provider: SandboxProvider, token: string): Promise<SandboxTokenEntity | null> {
    const entity = await this.findToken(provider, token);
    if (!entity || entity.kind !== 'access' || entity.revokedAt || isExpired(entity.expiresAt)) return null;
    return entity;
  }

  async revokeGrant(provider: SandboxProvider, grantId: string): Promise<void> {
    await this.tokens.update({ provider: provider.name, grantId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }
}

export const isExpired = (expiresAt: Date | null) => expiresAt !== null && expiresAt.getTime() <= Date.now();
