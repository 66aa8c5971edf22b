import { Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { TokenCipher } from '../../src/crypto/token-cipher';
import type { OAuthProvider, RevokeResult } from '../../src/providers/core/provider';
import type { ProviderCatalog } from '../../src/providers/core/provider-catalog';
import { ProviderCallBudget } from '../../src/revocations/provider-call-budget';
import { revocationContext } from '../../src/revocations/revocation-context';
import { RevocationOutcome, RevocationReport, RevocationWorker } from '../../src/revocations/revocation-worker';
import { revocationsConfig } from '../../src/revocations/revocations.config';
import { TokenRevocationsRepository } from '../../src/revocations/token-revocations.repository';
import { RefreshBudget } from '../../src/token-lifecycle/refresh-budget';
import { startTestApp, TestApp } from '../support/app';
import { gate, within } from '../support/wait';

const HOUR = 3_600_000;

interface QueueRow {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  last_error: string | null;
  access_token: string | null;
  refresh_token: string | null;
  created_at: Date;
}

/**
 * The revocation worker against the real token_revocations table (its claim, lease and outcome SQL in
 * TokenRevocationsRepository), with stand-in providers: each worker built here is a replica of its own
 * (its own lease owner) over the one database, with its own provider behaviour, so a test can hold one
 * replica's provider call while another takes the row over. Revoke calls take slots of the provider's
 * call budget (`refresh_budgets`, shared with refreshes).
 */
describe('the revocation worker on Postgres (claims, leases, outcomes, budget, give-up horizon)', () => {
  let t: TestApp;
  const config: ConfigType<typeof revocationsConfig> = {
    intervalMs: 0,
    giveUpMs: 72 * HOUR,
    retryBaseMs: 60_000,
    retryMaxMs: 6 * HOUR,
    leaseMs: 60_000,
  };

  beforeAll(async () => {
    Logger.overrideLogger(false);
    t = await startTestApp();
  }, 60_000);
  afterAll(() => t?.close());
  beforeEach(() => t.dataSource.query('DELETE FROM token_revocations'));
  /** Gates a test held and runs it started: released and settled after it, so a failed test leaves no replica working. */
  const held: { release: () => void }[] = [];
  const running: Promise<unknown>[] = [];
  afterEach(async () => {
    for (const g of held.splice(0)) g.release();
    await Promise.allSettled(running.splice(0));
  });
  /** `worker.runOnce()`, settled after the test whatever happens. */
  const run = (worker: RevocationWorker) => {
    const promise = worker.runOnce();
    running.push(promise);
    return promise;
  };

  const repo = () => t.app.get(TokenRevocationsRepository);
  const cipher = () => t.app.get(TokenCipher);

  /** A stand-in provider: `revoke` is a jest mock (revoked unless told otherwise); ample budget unless given. */
  function provider(name: string, opts: { revoke?: boolean; ratePerSecond?: number } = {}) {
    const revoke = jest.fn<Promise<RevokeResult>, [{ accessToken: string; refreshToken?: string }]>();
    revoke.mockResolvedValue('revoked');
    const fake = {
      name,
      supports: { revoke: opts.revoke ?? true },
      settings: { refreshRatePerSecond: opts.ratePerSecond ?? 1000 },
      revoke,
    } as unknown as OAuthProvider;
    return { fake, revoke };
  }

  /** A replica's worker: its own lease owner, its own providers, the app's repository and budget. */
  function replica(...providers: OAuthProvider[]) {
    const catalog = { find: (name: string) => providers.find((p) => p.name === name) } as unknown as ProviderCatalog;
    const worker = new RevocationWorker(
      repo(),
      cipher(),
      catalog,
      t.app.get(ProviderCallBudget),
      new SchedulerRegistry(),
      config,
    );
    const outcomes: [string, RevocationOutcome][] = [];
    worker.onAttempt((p, outcome) => outcomes.push([p, outcome]));
    return { worker, outcomes };
  }

  /** Queues tokens as the service does (in a transaction, encrypted for the row). */
  const enqueue = (providerName: string, tokens: { accessToken: string; refreshToken?: string }) =>
    t.dataSource.transaction((tx) =>
      repo().enqueue(tx, { provider: providerName, connectionId: randomUUID(), reason: 'delete', ...tokens }),
    );
  const row = async (id: string): Promise<QueueRow> =>
    (await t.dataSource.query('SELECT * FROM token_revocations WHERE id = $1', [id]))[0];
  /**
   * A replica that stalls past its lease: the lease is written into the past (a second, clear of the
   * column's millisecond rounding and of the claim's clock taken right after).
   */
  const stall = (id: string) =>
    t.dataSource.query(`UPDATE token_revocations SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
  const report = (r: Partial<RevocationReport>): RevocationReport => ({
    attempted: 0,
    revoked: 0,
    failed: 0,
    givenUp: 0,
    deferred: 0,
    ...r,
  });

  describe('one attempt', () => {
    it('decrypts the tokens for the provider (with the refresh token) and finishes the row without them', async () => {
      const p = provider('rv-ok');
      const { worker, outcomes } = replica(p.fake);
      const id = await enqueue('rv-ok', { accessToken: 'at-1', refreshToken: 'rt-1' });
      expect(await worker.runOnce()).toEqual(report({ attempted: 1, revoked: 1 }));
      expect(p.revoke).toHaveBeenCalledWith({ accessToken: 'at-1', refreshToken: 'rt-1' });
      expect(await row(id)).toMatchObject({
        status: 'revoked',
        attempts: 1,
        access_token: null,
        refresh_token: null,
        lease_owner: null,
        lease_until: null,
        last_error: null,
      });
      expect(outcomes).toEqual([['rv-ok', 'revoked']]);
      // Done is done.
      expect((await worker.runOnce()).attempted).toBe(0);
    });

    it('a provider that is no longer configured is a failed attempt, retried later with its tokens kept', async () => {
      const { worker, outcomes } = replica();
      const now = new Date(Date.now() + HOUR);
      const id = await enqueue('rv-gone', { accessToken: 'at-2' });
      expect(await worker.runOnce(now)).toEqual(report({ attempted: 1, failed: 1 }));
      const r = await row(id);
      expect(r).toMatchObject({
        status: 'pending',
        attempts: 1,
        last_error: 'provider_not_configured',
        lease_owner: null,
      });
      expect(r.access_token).not.toBeNull();
      // 60 s ± 50 %.
      expect(r.next_attempt_at.getTime()).toBeGreaterThanOrEqual(now.getTime() + 30_000);
      expect(r.next_attempt_at.getTime()).toBeLessThanOrEqual(now.getTime() + 90_000);
      expect(outcomes).toEqual([['rv-gone', 'failed']]);
    });

    it('a provider that no longer revokes is given up at once: nothing left to try', async () => {
      const p = provider('rv-norevoke', { revoke: false });
      const { worker } = replica(p.fake);
      const id = await enqueue('rv-norevoke', { accessToken: 'at-3' });
      expect(await worker.runOnce()).toEqual(report({ attempted: 1, givenUp: 1 }));
      expect(p.revoke).not.toHaveBeenCalled();
      expect(await row(id)).toMatchObject({
        status: 'given_up',
        last_error: 'revoke_unsupported',
        access_token: null,
      });
    });

    it("a ciphertext that is not this row's does not decrypt: decryption_failed, no provider call", async () => {
      const p = provider('rv-aad');
      const { worker } = replica(p.fake);
      const id = await enqueue('rv-aad', { accessToken: 'at-4' });
      // A connection's envelope copied into the queue row.
      await t.dataSource.query('UPDATE token_revocations SET access_token = $2 WHERE id = $1', [
        id,
        cipher().encrypt('at-4', { table: 'connections', id, field: 'access_token' }),
      ]);
      await worker.runOnce();
      expect(p.revoke).not.toHaveBeenCalled();
      expect(await row(id)).toMatchObject({ status: 'pending', last_error: 'decryption_failed' });
    });

    it('a provider that throws is recorded by code, never by its message', async () => {
      const p = provider('rv-throws');
      p.revoke.mockRejectedValue(new Error('upstream said: secret-ish detail'));
      const { worker } = replica(p.fake);
      const id = await enqueue('rv-throws', { accessToken: 'at-5' });
      await worker.runOnce();
      expect(await row(id)).toMatchObject({ status: 'pending', last_error: 'provider_error' });
      expect(JSON.stringify(await row(id))).not.toContain('secret-ish');
    });

    it('the queued tokens are encrypted for their row: readable with its context only', async () => {
      const id = await enqueue('rv-ctx', { accessToken: 'at-6', refreshToken: 'rt-6' });
      const r = await row(id);
      expect(JSON.stringify(r)).not.toContain('at-6');
      expect(cipher().decrypt(r.access_token!, revocationContext(id, 'access_token'))).toBe('at-6');
      expect(cipher().decrypt(r.refresh_token!, revocationContext(id, 'refresh_token'))).toBe('rt-6');
    });
  });

  describe('the give-up horizon: REVOCATION_GIVE_UP_HOURS after the row was queued, not a count of attempts', () => {
    it('a provider that keeps failing is retried for 72 hours, backoff capped at REVOCATION_RETRY_MAX_SECONDS, the last retry at the horizon; then given up and the tokens dropped', async () => {
      const p = provider('rv-outage');
      p.revoke.mockResolvedValue('failed');
      const { worker, outcomes } = replica(p.fake);
      const id = await enqueue('rv-outage', { accessToken: 'at-7', refreshToken: 'rt-7' });
      const queuedAt = (await row(id)).created_at.getTime();
      const horizon = queuedAt + config.giveUpMs;
      // Each run at the moment the row is due (a fake clock, days in a few hundred milliseconds).
      const attemptsAt: number[] = [];
      for (let run = 0; run < 100; run++) {
        const r = await row(id);
        if (r.status !== 'pending') break;
        attemptsAt.push(r.next_attempt_at.getTime());
        expect((await worker.runOnce(r.next_attempt_at)).attempted).toBe(1);
      }
      const done = await row(id);
      expect(done).toMatchObject({
        status: 'given_up',
        last_error: 'revoke_failed',
        access_token: null,
        refresh_token: null,
        lease_owner: null,
      });
      // Retried for the whole span (the old rule gave up after 8 attempts, about 2 hours)…
      expect(attemptsAt[attemptsAt.length - 1]).toBe(horizon);
      expect(attemptsAt.slice(0, -1).every((at) => at < horizon)).toBe(true);
      expect(done.attempts).toBe(attemptsAt.length);
      expect(done.attempts).toBeGreaterThan(12);
      // …with no gap longer than the cap.
      const gaps = attemptsAt.slice(1).map((at, i) => at - attemptsAt[i]);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(config.retryMaxMs);
      expect(outcomes.filter(([, o]) => o === 'failed')).toHaveLength(done.attempts - 1);
      expect(outcomes[outcomes.length - 1]).toEqual(['rv-outage', 'given_up']);
      // Nothing after giving up.
      expect((await worker.runOnce(new Date(horizon + 30 * 24 * HOUR))).attempted).toBe(0);
      expect(p.revoke).toHaveBeenCalledTimes(done.attempts);
    });

    it('a provider that recovers within the span: revoked, however many attempts failed before', async () => {
      const p = provider('rv-recovers');
      p.revoke.mockResolvedValue('failed');
      const { worker } = replica(p.fake);
      const id = await enqueue('rv-recovers', { accessToken: 'at-8' });
      // Two days of outage.
      const queuedAt = (await row(id)).created_at.getTime();
      for (let i = 0, r = await row(id); i < 100 && r.next_attempt_at.getTime() < queuedAt + 48 * HOUR; i++) {
        await worker.runOnce(r.next_attempt_at);
        r = await row(id);
      }
      const before = await row(id);
      expect(before.status).toBe('pending');
      expect(before.next_attempt_at.getTime()).toBeGreaterThanOrEqual(queuedAt + 48 * HOUR);
      expect(before.attempts).toBeGreaterThan(8);
      p.revoke.mockResolvedValue('revoked');
      expect((await worker.runOnce(before.next_attempt_at)).revoked).toBe(1);
      expect(await row(id)).toMatchObject({ status: 'revoked', attempts: before.attempts + 1, access_token: null });
    });
  });

  describe("the provider's call budget, shared with refreshes", () => {
    const budgetRow = async (name: string) =>
      (await t.dataSource.query('SELECT updated_at FROM refresh_budgets WHERE provider = $1', [name]))[0] as
        { updated_at: Date } | undefined;

    it('each revoke call takes a slot of the same budget refreshes take from', async () => {
      // 0.5 calls per second: one slot every ~2 s.
      const p = provider('rv-shared', { ratePerSecond: 0.5 });
      const { worker } = replica(p.fake);
      await enqueue('rv-shared', { accessToken: 'at-9' });
      expect((await worker.runOnce()).revoked).toBe(1);
      expect(await budgetRow('rv-shared')).toBeDefined();
      // The refresh path finds that slot taken: nothing free without waiting.
      expect(await t.app.get(RefreshBudget).take('rv-shared', 0.5, 0)).toBe(false);
    });

    it('when the budget is spent, the row is deferred to the next run: no call, no attempt counted, nothing recorded as failed', async () => {
      const p = provider('rv-spent');
      const { worker, outcomes } = replica(p.fake);
      const id = await enqueue('rv-spent', { accessToken: 'at-10' });
      // Refreshes have reserved the provider's budget for the next hour.
      await t.app.get(RefreshBudget).take('rv-spent', 1000, 0);
      await t.dataSource.query(
        `UPDATE refresh_budgets SET updated_at = clock_timestamp() + interval '1 hour' WHERE provider = $1`,
        ['rv-spent'],
      );
      const now = new Date();
      expect(await worker.runOnce(now)).toEqual(report({ deferred: 1 }));
      expect(p.revoke).not.toHaveBeenCalled();
      expect(outcomes).toEqual([]);
      const r = await row(id);
      expect(r).toMatchObject({ status: 'pending', attempts: 0, last_error: null, lease_owner: null });
      expect(r.access_token).not.toBeNull();
      // Due again at the next run, not in this one.
      expect(r.next_attempt_at.getTime()).toBeGreaterThan(now.getTime());
      expect(r.next_attempt_at.getTime()).toBeLessThanOrEqual(now.getTime() + 60_000);
      // Still spent: deferred again, however often.
      expect(await worker.runOnce(r.next_attempt_at)).toEqual(report({ deferred: 1 }));
      // The budget frees up: revoked.
      await t.dataSource.query(`UPDATE refresh_budgets SET updated_at = clock_timestamp() WHERE provider = $1`, [
        'rv-spent',
      ]);
      expect(await worker.runOnce((await row(id)).next_attempt_at)).toEqual(report({ attempted: 1, revoked: 1 }));
      expect(await row(id)).toMatchObject({ status: 'revoked', attempts: 1 });
    });

    it('a deferral is not a failure: a row whose budget stays spent past its horizon is not given up by it', async () => {
      const p = provider('rv-spent-long');
      const { worker } = replica(p.fake);
      const id = await enqueue('rv-spent-long', { accessToken: 'at-11' });
      await t.app.get(RefreshBudget).take('rv-spent-long', 1000, 0);
      await t.dataSource.query(
        `UPDATE refresh_budgets SET updated_at = clock_timestamp() + interval '1 hour' WHERE provider = $1`,
        ['rv-spent-long'],
      );
      const late = new Date((await row(id)).created_at.getTime() + config.giveUpMs + HOUR);
      expect(await worker.runOnce(late)).toEqual(report({ deferred: 1 }));
      expect(await row(id)).toMatchObject({ status: 'pending', attempts: 0 });
    });
  });

  describe('two replicas: a stalled attempt is taken over, and its late outcome is refused', () => {
    /** Replica a: its provider call held until `release`. */
    function heldReplica(name: string, answer: RevokeResult) {
      const p = provider(name);
      const answers = gate();
      const called = gate();
      held.push(answers);
      p.revoke.mockImplementation(async () => {
        called.release();
        await answers.promise;
        return answer;
      });
      return { ...replica(p.fake), revoke: p.revoke, held: answers, called };
    }

    it('b takes over a row whose lease ran out while a’s call was held, and revokes it; a’s late outcome writes nothing', async () => {
      const a = heldReplica('rv-takeover', 'revoked');
      const bp = provider('rv-takeover');
      const b = replica(bp.fake);
      const id = await enqueue('rv-takeover', { accessToken: 'at-12' });
      const aRun = run(a.worker);
      await within(a.called.promise, 5000, 'a calls the provider');
      const aLease = await row(id);
      expect(aLease.lease_owner).not.toBeNull();
      // While a's lease is live, b does not touch the row.
      expect(await b.worker.runOnce()).toEqual(report({}));
      await stall(id);
      expect(await b.worker.runOnce()).toEqual(report({ attempted: 1, revoked: 1 }));
      const byB = await row(id);
      expect(byB).toMatchObject({ status: 'revoked', attempts: 1, lease_owner: null, access_token: null });
      a.held.release();
      // a's markRevoked finds the row no longer its own: refused, nothing counted.
      expect(await aRun).toEqual(report({}));
      expect(a.outcomes).toEqual([]);
      expect(await row(id)).toEqual(byB);
    });

    it('b’s attempt failed and released the row; a’s late success is refused too (the row is no longer leased to a)', async () => {
      const a = heldReplica('rv-takeover-failed', 'revoked');
      const bp = provider('rv-takeover-failed');
      bp.revoke.mockResolvedValue('failed');
      const b = replica(bp.fake);
      const id = await enqueue('rv-takeover-failed', { accessToken: 'at-13' });
      const aRun = run(a.worker);
      await within(a.called.promise, 5000, 'a calls the provider');
      await stall(id);
      expect(await b.worker.runOnce()).toEqual(report({ attempted: 1, failed: 1 }));
      const byB = await row(id);
      expect(byB).toMatchObject({ status: 'pending', attempts: 1, last_error: 'revoke_failed', lease_owner: null });
      a.held.release();
      expect(await aRun).toEqual(report({}));
      // b's record stands: pending, its tokens kept for the next try.
      expect(await row(id)).toEqual(byB);
      expect(byB.access_token).not.toBeNull();
    });

    it('b still holds the row when a’s late outcome arrives: a’s failure record is refused, b’s outcome is written', async () => {
      const a = heldReplica('rv-both-held', 'failed');
      const b = heldReplica('rv-both-held', 'revoked');
      const id = await enqueue('rv-both-held', { accessToken: 'at-14' });
      const aRun = run(a.worker);
      await within(a.called.promise, 5000, 'a calls the provider');
      await stall(id);
      const bRun = run(b.worker);
      await within(b.called.promise, 5000, 'b calls the provider');
      const held = await row(id);
      a.held.release();
      expect(await aRun).toEqual(report({}));
      // Nothing of a's: no attempt counted, no error, b's lease untouched.
      expect(await row(id)).toEqual(held);
      b.held.release();
      expect(await bRun).toEqual(report({ attempted: 1, revoked: 1 }));
      expect(await row(id)).toMatchObject({ status: 'revoked', attempts: 1, last_error: null });
    });

    /** Replica a whose claim returns and then stalls until `resume` (a pause between its claim and its call). */
    function stalledAfterClaim(name: string) {
      const p = provider(name);
      const claimed = gate();
      const resume = gate();
      held.push(resume);
      const stalledRepo = new Proxy(repo(), {
        get(target, prop, receiver) {
          if (prop === 'claimDue')
            return async (...args: Parameters<TokenRevocationsRepository['claimDue']>) => {
              const rows = await target.claimDue(...args);
              claimed.release();
              await resume.promise;
              return rows;
            };
          const value: unknown = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? (value as (...x: unknown[]) => unknown).bind(target) : value;
        },
      });
      const worker = new RevocationWorker(
        stalledRepo,
        cipher(),
        { find: () => p.fake } as unknown as ProviderCatalog,
        t.app.get(ProviderCallBudget),
        new SchedulerRegistry(),
        config,
      );
      return { worker, revoke: p.revoke, claimed, resume };
    }

    it('a replica that stalls between its claim and its call does not call while another holds the row it took over (the lease is checked before the call)', async () => {
      const a = stalledAfterClaim('rv-stalled-claim');
      const b = heldReplica('rv-stalled-claim', 'revoked');
      const id = await enqueue('rv-stalled-claim', { accessToken: 'at-15' });
      const aRun = run(a.worker);
      await within(a.claimed.promise, 5000, 'a has claimed');
      await stall(id);
      const bRun = run(b.worker);
      await within(b.called.promise, 5000, 'b calls the provider');
      // a wakes up while b's call is out: the row is still pending, but leased to b.
      a.resume.release();
      expect(await aRun).toEqual(report({}));
      expect(a.revoke).not.toHaveBeenCalled();
      b.held.release();
      expect(await bRun).toEqual(report({ attempted: 1, revoked: 1 }));
      expect(b.revoke).toHaveBeenCalledTimes(1);
      expect(await row(id)).toMatchObject({ status: 'revoked', attempts: 1 });
    });

    it('…and not after the other replica finished the row either', async () => {
      const a = stalledAfterClaim('rv-stalled-claim-done');
      const bp = provider('rv-stalled-claim-done');
      const b = replica(bp.fake);
      const id = await enqueue('rv-stalled-claim-done', { accessToken: 'at-16' });
      const aRun = run(a.worker);
      await within(a.claimed.promise, 5000, 'a has claimed');
      await stall(id);
      expect((await b.worker.runOnce()).revoked).toBe(1);
      a.resume.release();
      expect(await aRun).toEqual(report({}));
      expect(a.revoke).not.toHaveBeenCalled();
      expect(bp.revoke).toHaveBeenCalledTimes(1);
      expect(await row(id)).toMatchObject({ status: 'revoked', attempts: 1 });
    });
  });
});
