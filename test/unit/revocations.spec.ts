import { Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { ConfigError } from '../../src/config/env';
import { parseKeyring } from '../../src/crypto/keyring';
import { TokenCipher } from '../../src/crypto/token-cipher';
import type { OAuthProvider } from '../../src/providers/core/provider';
import type { ProviderCatalog } from '../../src/providers/core/provider-catalog';
import { revocationContext } from '../../src/revocations/revocation-context';
import { RevocationOutcome, RevocationWorker } from '../../src/revocations/revocation-worker';
import { loadRevocationsConfig, revocationsConfig } from '../../src/revocations/revocations.config';
import { supersededTokens } from '../../src/revocations/superseded-tokens';
import type { TokenRevocationEntity } from '../../src/revocations/token-revocation.entity';
import type { FailedRevocation, TokenRevocationsRepository } from '../../src/revocations/token-revocations.repository';
import { TEST_KEY_A } from './support/keys';

describe('supersededTokens: what a reconnect leaves to revoke', () => {
  it('the old tokens when the new ones are different', () => {
    expect(
      supersededTokens({ accessToken: 'a1', refreshToken: 'r1' }, { accessToken: 'a2', refreshToken: 'r2' }),
    ).toEqual({ accessToken: 'a1', refreshToken: 'r1' });
    expect(supersededTokens({ accessToken: 'a1' }, { accessToken: 'a2' })).toEqual({ accessToken: 'a1' });
  });

  it('nothing when the access token is still the live one', () => {
    expect(supersededTokens({ accessToken: 'a1' }, { accessToken: 'a1' })).toBeNull();
    expect(
      supersededTokens({ accessToken: 'a1', refreshToken: 'r1' }, { accessToken: 'a1', refreshToken: 'r2' }),
    ).toBeNull();
    expect(supersededTokens({ accessToken: 'a1' }, { accessToken: 'a2', refreshToken: 'a1' })).toBeNull();
  });

  it('nothing when the new grant still uses the old refresh token (revoking the old access token may take its siblings with it)', () => {
    expect(
      supersededTokens({ accessToken: 'a1', refreshToken: 'r1' }, { accessToken: 'a2', refreshToken: 'r1' }),
    ).toBeNull();
    expect(supersededTokens({ accessToken: 'a1', refreshToken: 'a2' }, { accessToken: 'a2' })).toBeNull();
  });
});

describe('revocations config', () => {
  const problems = (env: Record<string, string>): string => {
    try {
      loadRevocationsConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('has defaults: every 30 s, 8 attempts, backoff from 60 s up to 6 h, a lease of at least a minute', () => {
    expect(loadRevocationsConfig({})).toEqual({
      intervalMs: 30_000,
      maxAttempts: 8,
      retryBaseMs: 60_000,
      retryMaxMs: 21_600_000,
      leaseMs: 60_000,
    });
  });

  it('0 turns the worker off', () => {
    expect(loadRevocationsConfig({ REVOCATION_INTERVAL_SECONDS: '0' }).intervalMs).toBe(0);
  });

  it('the lease outlives two HTTP timeouts; the cap is never below the base', () => {
    expect(loadRevocationsConfig({ HTTP_TIMEOUT_MS: '45000' }).leaseMs).toBe(90_000);
    expect(
      loadRevocationsConfig({ REVOCATION_RETRY_BASE_SECONDS: '600', REVOCATION_RETRY_MAX_SECONDS: '60' }).retryMaxMs,
    ).toBe(600_000);
  });

  it.each([
    ['REVOCATION_INTERVAL_SECONDS', '-1'],
    ['REVOCATION_INTERVAL_SECONDS', 'soon'],
    ['REVOCATION_MAX_ATTEMPTS', '0'],
    ['REVOCATION_MAX_ATTEMPTS', '1000'],
    ['REVOCATION_RETRY_BASE_SECONDS', '1.5'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(problems({ [name]: value })).toContain(name);
  });
});

/** The table, in memory, with the repository's semantics (leases by owner, finished rows lose their tokens). */
class FakeQueue {
  readonly rows = new Map<string, TokenRevocationEntity>();

  add(cipher: TokenCipher, provider: string, tokens: { accessToken: string; refreshToken?: string }, attempts = 0) {
    const id = randomUUID();
    this.rows.set(id, {
      id,
      provider,
      connectionId: randomUUID(),
      reason: 'delete',
      accessToken: cipher.encrypt(tokens.accessToken, revocationContext(id, 'access_token')),
      refreshToken: tokens.refreshToken
        ? cipher.encrypt(tokens.refreshToken, revocationContext(id, 'refresh_token'))
        : null,
      attempts,
      nextAttemptAt: new Date(0),
      leaseOwner: null,
      leaseUntil: null,
      lastError: null,
      status: 'pending',
      createdAt: new Date(0),
      updatedAt: new Date(0),
    });
    return id;
  }

  readonly repository = {
    claimDue: async (owner: string, leaseUntil: Date, now: Date) => {
      const due = [...this.rows.values()].filter(
        (r) => r.status === 'pending' && r.nextAttemptAt <= now && (!r.leaseUntil || r.leaseUntil < now),
      );
      for (const r of due) Object.assign(r, { leaseOwner: owner, leaseUntil });
      return due.map((r) => ({ ...r }));
    },
    extendLease: async (id: string, owner: string, leaseUntil: Date) => this.ours(id, owner, { leaseUntil }),
    markRevoked: async (id: string, owner: string, attempts: number) =>
      this.ours(id, owner, { status: 'revoked', attempts, lastError: null, ...this.finished }),
    markGivenUp: async (id: string, owner: string, attempts: number, lastError: TokenRevocationEntity['lastError']) =>
      this.ours(id, owner, { status: 'given_up', attempts, lastError, ...this.finished }),
    markAttemptFailed: async (id: string, owner: string, f: FailedRevocation) =>
      this.ours(id, owner, { ...f, leaseOwner: null, leaseUntil: null }),
    releaseLeases: async () => undefined,
  };

  private readonly finished = { accessToken: null, refreshToken: null, leaseOwner: null, leaseUntil: null };

  private ours(id: string, owner: string, patch: Partial<TokenRevocationEntity>): boolean {
    const row = this.rows.get(id);
    if (!row || row.leaseOwner !== owner || row.status !== 'pending') return false;
    Object.assign(row, patch);
    return true;
  }
}

describe('RevocationWorker (fake queue and providers)', () => {
  const cipher = new TokenCipher(parseKeyring(TEST_KEY_A));
  const config: ConfigType<typeof revocationsConfig> = {
    intervalMs: 0,
    maxAttempts: 3,
    retryBaseMs: 60_000,
    retryMaxMs: 3_600_000,
    leaseMs: 60_000,
  };
  let queue: FakeQueue;
  let revoke: jest.Mock;
  let providers: Record<string, Partial<OAuthProvider>>;
  let outcomes: [string, RevocationOutcome][];
  let worker: RevocationWorker;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    queue = new FakeQueue();
    revoke = jest.fn().mockResolvedValue('revoked');
    providers = { webflow: { name: 'webflow', supports: { revoke: true } as OAuthProvider['supports'], revoke } };
    const catalog = { find: (name: string) => providers[name] } as unknown as ProviderCatalog;
    worker = new RevocationWorker(
      queue.repository as unknown as TokenRevocationsRepository,
      cipher,
      catalog,
      new SchedulerRegistry(),
      config,
    );
    outcomes = [];
    worker.onAttempt((provider, outcome) => outcomes.push([provider, outcome]));
  });

  it('decrypts the tokens for the provider (with the refresh token) and finishes the row without them', async () => {
    const id = queue.add(cipher, 'webflow', { accessToken: 'at-1', refreshToken: 'rt-1' });
    expect(await worker.runOnce()).toEqual({ attempted: 1, revoked: 1, failed: 0, givenUp: 0 });
    expect(revoke).toHaveBeenCalledWith({ accessToken: 'at-1', refreshToken: 'rt-1' });
    expect(queue.rows.get(id)).toMatchObject({ status: 'revoked', attempts: 1, accessToken: null, refreshToken: null });
    expect(outcomes).toEqual([['webflow', 'revoked']]);
  });

  it('a provider that is no longer configured is a failed attempt, retried later with its tokens kept', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const id = queue.add(cipher, 'gone', { accessToken: 'at-2' });
    expect(await worker.runOnce(now)).toMatchObject({ attempted: 1, failed: 1 });
    const row = queue.rows.get(id)!;
    expect(row).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'provider_not_configured',
      leaseOwner: null,
    });
    expect(row.accessToken).not.toBeNull();
    expect(row.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(now.getTime() + 30_000);
    expect(outcomes).toEqual([['gone', 'failed']]);
  });

  it('a provider that no longer revokes is given up at once: nothing left to try', async () => {
    providers.webflow = { ...providers.webflow, supports: { revoke: false } as OAuthProvider['supports'] };
    const id = queue.add(cipher, 'webflow', { accessToken: 'at-3' });
    expect(await worker.runOnce()).toMatchObject({ attempted: 1, givenUp: 1 });
    expect(revoke).not.toHaveBeenCalled();
    expect(queue.rows.get(id)).toMatchObject({
      status: 'given_up',
      lastError: 'revoke_unsupported',
      accessToken: null,
    });
  });

  it("a ciphertext that is not this row's does not decrypt: decryption_failed, no provider call", async () => {
    const id = queue.add(cipher, 'webflow', { accessToken: 'at-4' });
    // A connection's envelope copied into the queue row.
    queue.rows.get(id)!.accessToken = cipher.encrypt('at-4', { table: 'connections', id, field: 'access_token' });
    await worker.runOnce();
    expect(revoke).not.toHaveBeenCalled();
    expect(queue.rows.get(id)).toMatchObject({ status: 'pending', lastError: 'decryption_failed' });
  });

  it('a provider that throws is recorded by code, never by its message', async () => {
    revoke.mockRejectedValue(new Error('upstream said: secret-ish detail'));
    const id = queue.add(cipher, 'webflow', { accessToken: 'at-5' });
    await worker.runOnce();
    expect(queue.rows.get(id)).toMatchObject({ status: 'pending', lastError: 'provider_error' });
  });

  it('the last allowed attempt gives up and drops the tokens', async () => {
    revoke.mockResolvedValue('failed');
    const id = queue.add(cipher, 'webflow', { accessToken: 'at-6' }, config.maxAttempts - 1);
    expect(await worker.runOnce()).toMatchObject({ attempted: 1, givenUp: 1 });
    expect(queue.rows.get(id)).toMatchObject({
      status: 'given_up',
      attempts: config.maxAttempts,
      lastError: 'revoke_failed',
      accessToken: null,
      refreshToken: null,
    });
    expect(outcomes).toEqual([['webflow', 'given_up']]);
  });

  it('does not call the provider for a row whose lease another replica took over', async () => {
    const id = queue.add(cipher, 'webflow', { accessToken: 'at-7' });
    const claim = queue.repository.claimDue;
    queue.repository.claimDue = async (...args) => {
      const rows = await claim(...args);
      queue.rows.get(id)!.leaseOwner = 'other-replica';
      return rows;
    };
    expect((await worker.runOnce()).attempted).toBe(0);
    expect(revoke).not.toHaveBeenCalled();
  });
});
