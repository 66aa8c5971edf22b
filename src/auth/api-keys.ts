import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DomainError } from '../common/errors';
import { IntervalRunner } from '../common/interval-runner';
import { securityConfig } from '../crypto/secrets.config';
import { hashApiKey, KEY_PATTERN } from './api-key-secret';
import { ActiveApiKey, ApiKeysRepository } from './api-keys.repository';
import type { Scope } from './scopes';

/** Who is calling: what logs, metrics and the guard know of a key (never the key or its hash). */
export interface ApiKeyIdentity {
  /** The row's uuid, or `env-1`, `env-2`, … for API_KEYS. */
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly source: 'api' | 'environment';
}

/** What a presented Authorization header turned out to be. */
export type KeyCheck =
  | { kind: 'known'; identity: ApiKeyIdentity }
  /** Not a key this replica knows of yet, but shaped like one of ours: ask the database (lookUp). */
  | { kind: 'unseen'; secretHash: string }
  | { kind: 'unknown' };

/** The key table cannot be consulted: a 503, never a 401 that would tell a client its key is bad. */
export class ApiKeysUnavailable extends DomainError {
  constructor() {
    super('service_unavailable', 503, 'API keys cannot be checked right now; retry shortly', { 'Retry-After': '1' });
  }
}

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;
/** A table key is refused (503) once this replica's last good read of the table started this long ago. */
export const REVOCATION_WINDOW_MS = 5000;
/** last_used_at is written at most this often per key (and replica). */
const LAST_USED_EVERY_MS = 60_000;
/** Database lookups of keys the cache has not seen, at once: beyond that, 503 until one finishes. */
const MAX_LOOKUPS = 2;
/** Hashes looked up and not found, remembered until the next read of the table (bounded). */
const MAX_MISSES = 10_000;

/**
 * The keys that may call the API: API_KEYS (admin keys named env-1, env-2, …) and the active keys of
 * the api_keys table, held in memory by the SHA-256 of the key. Checking a request's key is a hash and
 * a map lookup, never a query. Each replica re-reads the table every API_KEY_RELOAD_MS (2 s), so a key
 * revoked on one replica is refused by all within that; the replica that revokes refuses it at once.
 * A key made on another replica since the last read is looked up by its hash (a few at a time).
 * When the table has not been read for REVOCATION_WINDOW_MS, table keys are refused rather than
 * trusted beyond that promise; API_KEYS keep working.
 *
 * Every answer that can come back late is checked against what is newer: a read of the table or a
 * lookup that started before a revocation on this replica never brings the revoked key back, and a
 * lookup that started before the current read was taken does not overrule it.
 */
@Injectable()
export class ApiKeys implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeys.name);
  private readonly fromEnvironment = new Map<string, ApiKeyIdentity>();
  private byHash = new Map<string, ApiKeyIdentity>();
  /** When the read behind `byHash` started (ms): the copy is as old as that. */
  private readStartedAt = 0;
  /** Keys revoked on this replica (id → when), kept until a read that started later has replaced byHash. */
  private readonly revokedHere = new Map<string, number>();
  private misses = new Set<string>();
  /** When each table key was last used on this replica; the last use written, and when it was written. */
  private readonly usedAt = new Map<string, number>();
  private readonly written = new Map<string, { use: number; at: number }>();
  private failing = false;
  private lookups = 0;
  private readonly reloads: IntervalRunner<boolean>;

  constructor(
    @Inject(securityConfig.KEY) private readonly security: ConfigType<typeof securityConfig>,
    private readonly repository: ApiKeysRepository,
    scheduler: SchedulerRegistry,
  ) {
    security.apiKeys.forEach((key, i) => {
      const id = `env-${i + 1}`;
      this.fromEnvironment.set(hashApiKey(key), { id, name: id, scopes: ['admin'], source: 'environment' });
    });
    this.byHash = new Map(this.fromEnvironment);
    this.reloads = new IntervalRunner('api-keys-reload', scheduler, this.logger, () => this.reload());
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(await this.reloads.run())) throw new Error('The api_keys table could not be read');
    this.reloads.start(this.security.apiKeyReloadMs, 'API key reload failed');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.reloads.stop();
    // Whatever was used since the last write, however recent.
    await this.writeUses(Date.now(), true).catch(() => undefined);
  }

  /** The key of an `Authorization: Bearer <key>` header, checked against the cache. */
  check(authorization: string | string[] | undefined): KeyCheck {
    const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
    if (!match) return { kind: 'unknown' };
    const secretHash = hashApiKey(match[1]);
    const identity = this.byHash.get(secretHash);
    if (identity) {
      if (identity.source === 'api') this.usedAt.set(identity.id, Date.now());
      return { kind: 'known', identity };
    }
    return KEY_PATTERN.test(match[1]) && !this.misses.has(secretHash)
      ? { kind: 'unseen', secretHash }
      : { kind: 'unknown' };
  }

  /**
   * The one check of a presented key, for the API's guard (authorize) and the console's sign-in alike:
   * the active key of an `Authorization: Bearer <key>` header, or undefined for a missing, malformed,
   * unknown or revoked one. ApiKeysUnavailable (503, never a 401 that would call the key bad) for a
   * table key while this replica's copy is too old to trust, or when a key it has not seen cannot be
   * looked up. Synchronous for a key the cache knows (the hot path); a key it has not seen is looked up.
   */
  identify(
    authorization: string | string[] | undefined,
  ): ApiKeyIdentity | undefined | Promise<ApiKeyIdentity | undefined> {
    const check = this.check(authorization);
    if (check.kind === 'known') return this.trusted(check.identity);
    if (check.kind === 'unknown') return undefined;
    return this.lookUp(check.secretHash).then((identity) => identity && this.trusted(identity));
  }

  /** `identity`, unless it is a table key and the copy it came from is too old to trust (503). */
  private trusted(identity: ApiKeyIdentity): ApiKeyIdentity {
    if (identity.source === 'api' && this.stale) throw new ApiKeysUnavailable();
    return identity;
  }

  /** Whether this replica's copy of the table is too old to trust a table key (see the class). */
  get stale(): boolean {
    return Date.now() - this.readStartedAt > REVOCATION_WINDOW_MS;
  }

  /**
   * An unseen key, from the database: its identity, or undefined when it is not an active key.
   * ApiKeysUnavailable when the database cannot answer, or when MAX_LOOKUPS are already running.
   */
  async lookUp(secretHash: string): Promise<ApiKeyIdentity | undefined> {
    if (this.lookups >= MAX_LOOKUPS) throw new ApiKeysUnavailable();
    this.lookups++;
    const startedAt = Date.now();
    let row: ActiveApiKey | undefined;
    try {
      row = await this.repository.activeByHash(secretHash);
    } catch (error) {
      this.logger.warn({ err: error }, 'an API key could not be looked up');
      throw new ApiKeysUnavailable();
    } finally {
      this.lookups--;
    }
    // A read of the table that started after this lookup knows better (the key may be revoked since).
    if (this.readStartedAt > startedAt) return this.byHash.get(secretHash);
    if (!row || this.revokedHere.has(row.id)) {
      if (this.misses.size < MAX_MISSES) this.misses.add(secretHash);
      return undefined;
    }
    const identity = toIdentity(row);
    this.byHash.set(secretHash, identity);
    this.usedAt.set(identity.id, Date.now());
    return identity;
  }

  /** A key this replica just made. */
  remember(row: ActiveApiKey): void {
    this.misses.delete(row.secretHash);
    this.byHash.set(row.secretHash, toIdentity(row));
  }

  /** A key this replica just revoked: refused from now on here (other replicas: at their next read). */
  forget(id: string): void {
    this.revokedHere.set(id, Date.now());
    for (const [hash, identity] of this.byHash) if (identity.id === id) this.byHash.delete(hash);
  }

  /**
   * An active key by its id, with the SHA-256 of the key (the console binds a session to the key itself:
   * `env-1` names whichever key is listed first in API_KEYS, so an id alone would outlive a rotation).
   */
  findById(id: string): { identity: ApiKeyIdentity; secretHash: string } | undefined {
    for (const [secretHash, identity] of this.byHash) if (identity.id === id) return { identity, secretHash };
    return undefined;
  }

  /** The SHA-256 the cache knows `identity` by (a key just checked). */
  hashOf(identity: ApiKeyIdentity): string | undefined {
    return this.findById(identity.id)?.secretHash;
  }

  /** The keys from API_KEYS, for GET /api-keys. */
  environmentKeys(): ApiKeyIdentity[] {
    return [...this.fromEnvironment.values()];
  }

  /**
   * Re-reads the active keys (what the timer runs), then writes the last uses that are due; false if
   * the read failed. A failing write never holds up the read: revocations matter more than dates.
   */
  async reload(): Promise<boolean> {
    const startedAt = Date.now();
    let rows: ActiveApiKey[];
    try {
      rows = await this.repository.active();
    } catch (error) {
      // Logged once per outage, not every few seconds.
      if (!this.failing)
        this.logger.warn({ err: error }, 'API keys could not be re-read; table keys are refused after 5 s');
      this.failing = true;
      return false;
    }
    const next = new Map(this.fromEnvironment);
    for (const row of rows) if (!this.revokedHere.has(row.id)) next.set(row.secretHash, toIdentity(row));
    this.byHash = next;
    this.readStartedAt = startedAt;
    this.misses = new Set();
    // This read started after these revocations, so it no longer holds their keys.
    for (const [id, at] of this.revokedHere) if (at < startedAt) this.revokedHere.delete(id);
    // Revoked keys' bookkeeping goes with them.
    const active = new Set(rows.map((row) => row.id));
    for (const id of this.usedAt.keys()) if (!active.has(id)) this.usedAt.delete(id);
    for (const id of this.written.keys()) if (!active.has(id)) this.written.delete(id);
    if (this.failing) this.logger.log('API keys can be read again');
    this.failing = false;
    await this.writeUses(Date.now()).catch((error: unknown) =>
      this.logger.warn({ err: error }, 'the last use of API keys could not be written'),
    );
    return true;
  }

  /**
   * last_used_at of each key used since its last write, when that write is LAST_USED_EVERY_MS old
   * (every use is written eventually, none more than once a minute per replica); `all` at shutdown.
   */
  private async writeUses(now: number, all = false): Promise<void> {
    const due: { id: string; at: Date }[] = [];
    for (const [id, use] of this.usedAt) {
      const last = this.written.get(id);
      if (last && use <= last.use) continue;
      if (!all && last && now - last.at < LAST_USED_EVERY_MS) continue;
      due.push({ id, at: new Date(use) });
    }
    if (!due.length) return;
    await this.repository.recordUse(due);
    for (const { id, at } of due) this.written.set(id, { use: at.getTime(), at: now });
  }
}

function toIdentity(row: ActiveApiKey): ApiKeyIdentity {
  return { id: row.id, name: row.name, scopes: row.scopes, source: 'api' };
}
