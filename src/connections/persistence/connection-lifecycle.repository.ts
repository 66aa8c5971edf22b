import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import type { Pool } from 'pg';
import { pgPool } from '../../database/pg-pool';
import { CONNECTION_CHANGES, ConnectionChanges, TokenOutcome } from '../connection-changes';
import { ConnectionStatus, LastError, REFRESHABLE_STATUSES, sqlList } from '../connection-status';
import { ConnectionEntity } from '../connection.entity';
import { REFRESHED, Transition, uninstalled } from '../status-machine';

export interface DueQuery {
  provider: string;
  now: Date;
  /** Refresh when the access token expires before this. */
  expiringBefore: Date;
  /** …or when the refresh token expires before this. */
  refreshTokenExpiringBefore: Date;
  limit: number;
}

export interface Lease {
  owner: string;
  until: Date;
}

/** The failure record of a row: a failure written since a read changes it (a count and a time). */
export type FailureRecord = Pick<ConnectionEntity, 'refreshFailures' | 'lastError'>;

/** What `takeLease` found and did, in one statement. */
export interface LeaseTake {
  /** The row, now leased to the caller; null when another holder's lease is live (or there is no refresh token). */
  leased: ConnectionEntity | null;
  /**
   * The row's lease owner before the statement. With `leased`: the owner of a lease that ran out without
   * being released (a takeover: that holder may still have a provider call out), or null. Without: the
   * live holder.
   */
  previousOwner: string | null;
  /** The failure record as the statement found it: while another's lease is live, its outcome is not in it yet. */
  failures: FailureRecord;
}

/** A row the sweep claimed, and whose unreleased (run-out) lease the claim took over, if any. */
export interface ClaimedConnection {
  connection: ConnectionEntity;
  previousOwner: string | null;
}

export interface RefreshedTokens {
  accessToken: string;
  refreshToken: string | null;
  tokenType: string;
  expiresAt: Date | null;
  refreshTokenExpiresAt: Date | null;
  scopes: string[];
}

/**
 * Called inside the transaction of a refresh's write that was not stored, with the row as it is now
 * (locked; other tokens than the refresh started from) or null when the row was deleted meanwhile.
 */
export type NotStoredHook = (tx: EntityManager, current: ConnectionEntity | null) => Promise<void>;

/** What the credentials endpoint reads; the refresh token itself is not even loaded. */
export type CredentialsRow = Pick<
  ConnectionEntity,
  | 'id'
  | 'provider'
  | 'status'
  | 'accessToken'
  | 'tokenType'
  | 'expiresAt'
  | 'apiBaseUrl'
  | 'scopes'
  | 'accountId'
  | 'lastError'
  | 'nextRefreshAt'
  | 'lastRefreshedAt'
  | 'tokenVersion'
> & { hasRefreshToken: boolean };

/** What markRevokedByProvider did: the connection as it is now, and whether this call revoked it. */
export interface RevokedByProvider {
  connection: ConnectionEntity;
  /** False when it was already revoked (a provider's retry): nothing written, no event. */
  changed: boolean;
}

interface RawCredentialsRow {
  id: string;
  provider: string;
  status: ConnectionStatus;
  access_token: string | null;
  has_refresh_token: boolean;
  token_type: string;
  expires_at: Date | null;
  api_base_url: string | null;
  scopes: string[];
  account_id: string;
  last_error: LastError | null;
  next_refresh_at: Date | null;
  last_refreshed_at: Date | null;
  token_version: number;
}

/**
 * The sweep's claim statement, returning each claimed row's previous lease owner (a lease that ran out
 * unreleased). Parameters: lease owner, lease until, provider, now, expiring before, refresh token
 * expiring before, limit.
 */
const CLAIM_DUE_FOR_REFRESH = `WITH due AS (
          SELECT id, lease_owner FROM connections
           WHERE provider = $3
             AND refresh_token IS NOT NULL
             AND status IN (${sqlList(REFRESHABLE_STATUSES)})
             AND (lease_until IS NULL OR lease_until < $4)
             AND (next_refresh_at IS NULL OR next_refresh_at <= $4)
             AND (expires_at < $5 OR refresh_token_expires_at < $6)
           ORDER BY expires_at NULLS LAST
           LIMIT $7
           FOR UPDATE SKIP LOCKED)
        UPDATE connections c SET lease_owner = $1, lease_until = $2
          FROM due WHERE c.id = due.id
        RETURNING c.id, due.lease_owner AS previous_owner`;

/**
 * One connection's lease, taken when it is free (no lease, or one that ran out), and what the row held
 * before, in one statement: the lock (FOR NO KEY UPDATE, what the UPDATE takes anyway) makes what it
 * reads and what it changes one moment. Parameters: id, lease owner, lease until, now.
 */
const TAKE_LEASE = `WITH cur AS (
          SELECT id, lease_owner, refresh_failures, last_error,
                 refresh_token IS NOT NULL AND (lease_until IS NULL OR lease_until < $4) AS free
            FROM connections WHERE id = $1 FOR NO KEY UPDATE
        ), taken AS (
          UPDATE connections c SET lease_owner = $2, lease_until = $3 FROM cur WHERE c.id = cur.id AND cur.free
          RETURNING c.id
        )
        SELECT cur.lease_owner, cur.refresh_failures, cur.last_error, EXISTS (SELECT 1 FROM taken) AS leased FROM cur`;

const ids = (result: [{ id: string }[], number]) => result[0].map((r) => r.id);

/** The credentials hot path's one statement: only the columns it needs (explicit, so a new column never changes the prepared result). */
const CREDENTIALS_BY_ID = `SELECT id, provider, status, access_token, refresh_token IS NOT NULL AS has_refresh_token, token_type, expires_at, api_base_url, scopes,
        account_id, last_error, next_refresh_at, last_refreshed_at, token_version
   FROM connections WHERE id = $1`;

/**
 * Errors of a prepared statement that the same statement unprepared does not have: a selected column's
 * type changed under a running replica (0A000 "cached plan must not change result type"), or a
 * transaction-mode pooler moved the statement's session away (26000, 42P05).
 */
const PREPARED_STATEMENT_ERRORS = new Set(['0A000', '26000', '42P05']);

/** The token-lifecycle writes of the connections table: leases, compare-and-set, failure records. */
@Injectable()
export class ConnectionLifecycleRepository {
  private pool?: Pool;

  constructor(
    @InjectRepository(ConnectionEntity) private readonly repo: Repository<ConnectionEntity>,
    @Inject(CONNECTION_CHANGES) private readonly changes: ConnectionChanges,
  ) {}

  findById(id: string): Promise<ConnectionEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /**
   * The hot path (`GET /credentials` on nearly every product call): one primary-key SELECT of the
   * columns it needs, straight on the driver's pool: no query building, entity hydration or QueryRunner.
   */
  async findForCredentials(id: string): Promise<CredentialsRow | null> {
    const pool = (this.pool ??= pgPool(this.repo.manager.connection));
    let rows: RawCredentialsRow[];
    try {
      // A named (prepared) statement: Postgres plans it once per connection instead of on every call.
      ({ rows } = await pool.query<RawCredentialsRow>({
        name: 'credentials_by_id',
        text: CREDENTIALS_BY_ID,
        values: [id],
      }));
    } catch (error) {
      if (!PREPARED_STATEMENT_ERRORS.has((error as { code?: string }).code ?? '')) throw error;
      ({ rows } = await pool.query<RawCredentialsRow>(CREDENTIALS_BY_ID, [id]));
    }
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      provider: r.provider,
      status: r.status,
      accessToken: r.access_token,
      hasRefreshToken: r.has_refresh_token,
      tokenType: r.token_type,
      expiresAt: r.expires_at,
      apiBaseUrl: r.api_base_url,
      scopes: r.scopes,
      accountId: r.account_id,
      lastError: r.last_error,
      nextRefreshAt: r.next_refresh_at,
      lastRefreshedAt: r.last_refreshed_at,
      tokenVersion: r.token_version,
    };
  }

  /**
   * Claims up to `limit` connections due for refresh (FOR UPDATE SKIP LOCKED, so replicas sweeping at
   * the same time take disjoint rows) and leases them in the same statement. Rows without a refresh
   * token, needing reauth, leased by someone else or backing off (next_refresh_at) are skipped.
   */
  async claimDueForRefresh(q: DueQuery, lease: Lease): Promise<ClaimedConnection[]> {
    const [claimed]: [{ id: string; previous_owner: string | null }[], number] = await this.repo.query(
      CLAIM_DUE_FOR_REFRESH,
      [lease.owner, lease.until, q.provider, q.now, q.expiringBefore, q.refreshTokenExpiringBefore, q.limit],
    );
    const rows = await this.loadAll(claimed.map((c) => c.id));
    const previous = new Map(claimed.map((c) => [c.id, c.previous_owner]));
    return rows.map((connection) => ({ connection, previousOwner: previous.get(connection.id) ?? null }));
  }

  /** Claims active connections without refresh token whose whoami check is due. */
  async claimDueForVerify(provider: string, now: Date, limit: number, lease: Lease): Promise<ConnectionEntity[]> {
    const result: [{ id: string }[], number] = await this.repo.query(
      `UPDATE connections SET lease_owner = $1, lease_until = $2
        WHERE id IN (
          SELECT id FROM connections
           WHERE provider = $3 AND refresh_token IS NULL AND status = '${ConnectionStatus.Active}'
             AND next_verify_at <= $4
             AND (lease_until IS NULL OR lease_until < $4)
           ORDER BY next_verify_at
           LIMIT $5
           FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [lease.owner, lease.until, provider, now, limit],
    );
    return this.loadAll(ids(result));
  }

  /** First check of a connection: a random point within one interval, so checks spread over the period. */
  async scheduleFirstVerify(provider: string, now: Date, intervalMs: number): Promise<void> {
    await this.repo.query(
      `UPDATE connections SET next_verify_at = $2::timestamptz + random() * ($3 || ' milliseconds')::interval
        WHERE provider = $1 AND refresh_token IS NULL AND access_token IS NOT NULL AND next_verify_at IS NULL`,
      [provider, now, String(intervalMs)],
    );
  }

  /**
   * Leases one connection for a refresh, in its own committed statement, unless someone else's lease is
   * live (or the row has no refresh token). Says whose lease was there before and what the failure
   * record was at that moment; null when there is no such connection.
   */
  async takeLease(id: string, lease: Lease, now: Date): Promise<LeaseTake | null> {
    const rows: {
      lease_owner: string | null;
      refresh_failures: number;
      last_error: LastError | null;
      leased: boolean;
    }[] = await this.repo.query(TAKE_LEASE, [id, lease.owner, lease.until, now]);
    const found = rows[0];
    if (!found) return null;
    const leased = found.leased ? await this.repo.findOneBy({ id }) : null;
    if (found.leased && !leased) return null;
    return {
      leased,
      previousOwner: found.lease_owner,
      failures: { refreshFailures: found.refresh_failures, lastError: found.last_error },
    };
  }

  /**
   * Right before the provider call: our lease is still ours and the tokens are still the ones we read
   * (token_version), and the lease is extended to cover the call. False means someone else refreshed or
   * reconnected meanwhile (e.g. our sweep lease ran out while the row waited in the batch): do not call.
   */
  async confirmLease(id: string, owner: string, version: number, until: Date): Promise<boolean> {
    const [rows]: [unknown[], number] = await this.repo.query(
      `UPDATE connections SET lease_until = $4 WHERE id = $1 AND lease_owner = $2 AND token_version = $3 AND lease_until > now() RETURNING id`,
      [id, owner, version, until],
    );
    return rows.length === 1;
  }

  async releaseLeasesOf(owner: string): Promise<void> {
    await this.repo.query(`UPDATE connections SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1`, [
      owner,
    ]);
  }

  async releaseLease(id: string, owner: string): Promise<void> {
    await this.repo.query(
      `UPDATE connections SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`,
      [id, owner],
    );
  }

  /**
   * The write after a successful refresh: compare-and-set on token_version alone. Tokens the provider
   * issued are stored whenever nothing replaced the ones the refresh started from, even when its lease
   * ran out mid-call and another holder has it now: the provider has rotated the refresh token, so the
   * answer is the grant (the other holder's call with the old token fails or loses the same
   * compare-and-set). Our lease is released; another holder's stays with it (its call is still out).
   * Returns false when the row changed under us (a reconnect, an uninstall, another refresh stored
   * first) or is gone (a DELETE), in which case nothing is written and `onNotStored` sees the row as it
   * is now (locked), or null when it was deleted, in the same transaction: whatever it writes (the
   * revocation queue) commits exactly when the decision not to store does, so tokens that are not
   * stored are never lost either.
   */
  async saveRefreshedTokens(
    id: string,
    version: number,
    owner: string,
    tokens: RefreshedTokens,
    now: Date,
    onNotStored?: NotStoredHook,
  ): Promise<boolean> {
    return this.repo.manager.transaction(async (tx) => {
      // The status before (locked with the row): tokens that arrive after another replica gave the
      // connection up (a lease lost mid-call) bring it back to active, and that is a status change.
      const [before]: { status: ConnectionStatus }[] = await tx.query(
        `SELECT status FROM connections WHERE id = $1 AND token_version = $2 FOR UPDATE`,
        [id, version],
      );
      const [, affected]: [unknown[], number] = await tx.query(
        `UPDATE connections
            SET access_token = $4, refresh_token = COALESCE($5, refresh_token), token_type = $6, expires_at = $7,
                refresh_token_expires_at = CASE WHEN $5::text IS NULL THEN refresh_token_expires_at ELSE $8 END,
                scopes = $9, last_refreshed_at = $10, status = $11, next_refresh_at = $12, refresh_failures = $13,
                last_error = $14, token_version = token_version + 1,
                lease_owner = CASE WHEN lease_owner = $3 THEN NULL ELSE lease_owner END,
                lease_until = CASE WHEN lease_owner = $3 THEN NULL ELSE lease_until END,
                updated_at = now()
          WHERE id = $1 AND token_version = $2`,
        [
          id,
          version,
          owner,
          tokens.accessToken,
          tokens.refreshToken,
          tokens.tokenType,
          tokens.expiresAt,
          tokens.refreshTokenExpiresAt,
          tokens.scopes,
          now,
          REFRESHED.status,
          REFRESHED.nextRefreshAt,
          REFRESHED.refreshFailures,
          REFRESHED.lastError,
        ],
      );
      if (affected === 1) {
        await this.changes.recordOutcome?.(tx, { type: 'refreshed', connectionId: id });
        if (before && before.status !== REFRESHED.status) {
          const connection = await tx.getRepository(ConnectionEntity).findOneByOrFail({ id });
          await this.changes.record(tx, { type: 'status_changed', from: before.status, connection });
        }
        return true;
      }
      const current = await this.lockRow(tx, id);
      // A reconnect leaves the lease as it was: hand it back, nothing of ours is in flight any more.
      if (current?.leaseOwner === owner)
        await tx.query(`UPDATE connections SET lease_owner = NULL, lease_until = NULL WHERE id = $1`, [id]);
      await onNotStored?.(tx, current);
      return false;
    });
  }

  /**
   * Records a failed attempt as the status machine decided it, and releases the lease; tokens are left
   * as they are. Only while the lease is ours and the tokens are still those of `version`: a reconnect
   * during the attempt wins, and the old grant's failure is not written onto the new one. A status
   * change is reported in the same transaction. False when nothing was written.
   */
  async recordRefreshFailure(id: string, owner: string, version: number, change: Transition): Promise<boolean> {
    return this.repo.manager.transaction(async (tx) => {
      const before = await this.lockRow(tx, id);
      if (!before || before.leaseOwner !== owner || before.tokenVersion !== version) return false;
      const set = transitionSet(change, 2);
      await tx.query(
        `UPDATE connections SET ${set.sql}lease_owner = NULL, lease_until = NULL, updated_at = now() WHERE id = $1`,
        [id, ...set.params],
      );
      await this.reportOutcome(tx, before, change, 'refresh');
      return true;
    });
  }

  /**
   * The outcome of a whoami check, as the status machine decided it; `owner` releases the sweep's lease.
   * Only while the tokens are still those of `version`, the ones that were checked: a reconnect or an
   * uninstall during the call wins, and the old token's answer (a 401, after an uninstall) is not
   * written onto the row.
   */
  async recordVerification(id: string, version: number, change: Transition, owner?: string): Promise<void> {
    await this.repo.manager.transaction(async (tx) => {
      const before = await this.lockRow(tx, id);
      if (!before) return;
      if (before.tokenVersion !== version) {
        if (owner !== undefined && before.leaseOwner === owner)
          await tx.query(`UPDATE connections SET lease_owner = NULL, lease_until = NULL WHERE id = $1`, [id]);
        return;
      }
      const set = transitionSet(change, 3);
      await tx.query(
        `UPDATE connections SET ${set.sql}
                lease_owner = CASE WHEN lease_owner = $2 THEN NULL ELSE lease_owner END,
                lease_until = CASE WHEN lease_owner = $2 THEN NULL ELSE lease_until END,
                updated_at = now()
          WHERE id = $1`,
        [id, owner ?? null, ...set.params],
      );
      await this.reportOutcome(tx, before, change, 'verify');
    });
  }

  /**
   * The provider reported that the user uninstalled the app (an inbound uninstall event): the status
   * machine's `uninstalled` answer written as it is (status `revoked`, `revoked_at`, the uninstall as
   * last error, nothing scheduled), the tokens deleted (access and refresh token, their expiry times),
   * token_version bumped (a refresh or whoami check in flight then stores nothing) and the lease
   * released, and `connection.revoked` queued: all in one transaction, `tx` when given (the inbound
   * event's, so the event is stored exactly when the connection is revoked), else its own. The row
   * stays; a reconnect of the same account makes it active again. Null when there is no such
   * connection; `changed: false` when it was already revoked.
   */
  async markRevokedByProvider(
    id: string,
    at: Date,
    reason: string,
    tx?: EntityManager,
  ): Promise<RevokedByProvider | null> {
    const run = async (t: EntityManager): Promise<RevokedByProvider | null> => {
      const before = await this.lockRow(t, id);
      if (!before) return null;
      const change = uninstalled(before, at, reason);
      if (change.status === undefined) return { connection: before, changed: false };
      const set = transitionSet(change, 2);
      await t.query(
        `UPDATE connections SET ${set.sql}lease_owner = NULL, lease_until = NULL, updated_at = now() WHERE id = $1`,
        [id, ...set.params],
      );
      const connection = await t.getRepository(ConnectionEntity).findOneByOrFail({ id });
      await this.changes.record(t, { type: 'status_changed', from: before.status, connection });
      return { connection, changed: true };
    };
    return tx ? run(tx) : this.repo.manager.transaction(run);
  }

  private lockRow(tx: EntityManager, id: string): Promise<ConnectionEntity | null> {
    return tx.getRepository(ConnectionEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * A failed refresh's or a whoami check's outcome as the status machine decided it (a failure is one
   * with a last error: its code; a passed check sets lastVerifiedAt alone), for the connection's
   * activity, then the status change it made, if any.
   */
  private async reportOutcome(
    tx: EntityManager,
    before: ConnectionEntity,
    change: Transition,
    of: 'refresh' | 'verify',
  ): Promise<void> {
    const code = change.lastError?.code;
    const outcome: TokenOutcome | null = code
      ? { type: of === 'refresh' ? 'refresh_failed' : 'verify_failed', connectionId: before.id, code }
      : of === 'verify' && change.lastVerifiedAt
        ? { type: 'verified', connectionId: before.id }
        : null;
    if (outcome) await this.changes.recordOutcome?.(tx, outcome);
    await this.reportStatusChange(tx, before, change);
  }

  private async reportStatusChange(tx: EntityManager, before: ConnectionEntity, change: Transition): Promise<void> {
    if (change.status === undefined || change.status === before.status) return;
    const after: ConnectionEntity = {
      ...before,
      status: change.status,
      ...(change.lastError !== undefined ? { lastError: change.lastError } : {}),
    };
    await this.changes.record(tx, { type: 'status_changed', from: before.status, connection: after });
  }

  private async loadAll(list: string[]): Promise<ConnectionEntity[]> {
    return list.length ? this.repo.findBy({ id: In(list) }) : [];
  }
}

/** Each field of a transition, its column and how it is written. */
const TRANSITION_COLUMNS: { field: keyof Transition; column: string; cast: string }[] = [
  { field: 'status', column: 'status', cast: '' },
  { field: 'refreshFailures', column: 'refresh_failures', cast: '::int' },
  { field: 'nextRefreshAt', column: 'next_refresh_at', cast: '::timestamptz' },
  { field: 'lastError', column: 'last_error', cast: '::jsonb' },
  { field: 'lastVerifiedAt', column: 'last_verified_at', cast: '::timestamptz' },
  { field: 'nextVerifyAt', column: 'next_verify_at', cast: '::timestamptz' },
  { field: 'revokedAt', column: 'revoked_at', cast: '::timestamptz' },
];

/** What `deleteTokens` writes: no token left, and a new token version (nothing in flight may store). */
const DELETE_TOKENS_SQL =
  'access_token = NULL, refresh_token = NULL, expires_at = NULL, refresh_token_expires_at = NULL, token_version = token_version + 1, ';

/**
 * `column = $n, ` for each field the transition has, numbered from `first`: an absent field keeps its
 * stored value, `null` writes SQL NULL.
 */
function transitionSet(change: Transition, first: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  let sql = '';
  for (const { field, column, cast } of TRANSITION_COLUMNS) {
    const value = change[field];
    if (value === undefined) continue;
    params.push(field === 'lastError' && value !== null ? JSON.stringify(value) : value);
    sql += `${column} = $${first + params.length - 1}${cast}, `;
  }
  if (change.deleteTokens) sql += DELETE_TOKENS_SQL;
  return { sql, params };
}
