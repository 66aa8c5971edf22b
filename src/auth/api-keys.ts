import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
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

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;
/** A table key is refused (503) once this replica could not re-read the table for this long. */
export const REVOCATION_WINDOW_MS = 5000;
/** last_used_at is written at most this often per key (and replica). */
const LAST_USED_EVERY_MS = 60_000;
/** Database lookups of keys the cache has not seen, at once: beyond that, an unseen key is refused. */
const MAX_LOOKUPS = 2;

/**
 * The keys that may call the API: API_KEYS (admin keys named env-1, env-2, …) and the active keys of
 * the api_keys table, held in memory by the SHA-256 of the key. Checking a request's key is a hash and
 * a map lookup, never a query. Each replica re-reads the table every API_KEY_RELOAD_MS (2 s), so a key
 * revoked on one replica is refused by all within that; the replica that revokes forgets it at once.
 * A key made on another replica since the last read is looked up by its hash (a few at a time).
 * When the table cannot be read for REVOCATION_WINDOW_MS, table keys are refused rather than trusted
 * beyond the promise; API_KEYS keep working.
 */
@Injectable()
export class ApiKeys implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeys.name);
  private readonly fromEnvironment = new Map<string, ApiKeyIdentity>();
  private byHash = new Map<string, ApiKeyIdentity>();
  /** When each table key was last used on this replica, and when that was last written (ms). */
  private readonly usedAt = new Map<string, number>();
  private readonly writtenAt = new Map<string, number>();
  private loadedAt = 0;
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
    await this.flushUses().catch(() => undefined);
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
    return KEY_PATTERN.test(match[1]) ? { kind: 'unseen', secretHash } : { kind: 'unknown' };
  }

  /** Whether this replica's copy of the table is too old to trust a table key (see the class). */
  get stale(): boolean {
    return Date.now() - this.loadedAt > REVOCATION_WINDOW_MS;
  }

  /** An unseen key, from the database; undefined when it is not an active key (or too many lookups run). */
  async lookUp(secretHash: string): Promise<ApiKeyIdentity | undefined> {
    if (this.lookups >= MAX_LOOKUPS) return undefined;
    this.lookups++;
    try {
      const row = await this.repository.activeByHash(secretHash);
      if (!row) return undefined;
      const identity = toIdentity(row);
      this.byHash.set(secretHash, identity);
      this.usedAt.set(identity.id, Date.now());
      return identity;
    } finally {
      this.lookups--;
    }
  }

  /** A key this replica just made. */
  remember(row: ActiveApiKey): void {
    this.byHash.set(row.secretHash, toIdentity(row));
  }

  /** A key this replica just revoked: refused from now on here (other replicas: at their next reload). */
  forget(id: string): void {
    for (const [hash, identity] of this.byHash) if (identity.id === id) this.byHash.delete(hash);
  }

  /** The keys from API_KEYS, for GET /api-keys. */
  environmentKeys(): ApiKeyIdentity[] {
    return [...this.fromEnvironment.values()];
  }

  /** Writes the last uses, then re-reads the active keys (what the timer runs); false if that failed. */
  async reload(): Promise<boolean> {
    try {
      await this.flushUses();
      const rows = await this.repository.active();
      const next = new Map(this.fromEnvironment);
      for (const row of rows) next.set(row.secretHash, toIdentity(row));
      this.byHash = next;
      this.loadedAt = Date.now();
      // Revoked keys' bookkeeping goes with them.
      const active = new Set(rows.map((row) => row.id));
      for (const id of this.usedAt.keys()) if (!active.has(id)) this.usedAt.delete(id);
      for (const id of this.writtenAt.keys()) if (!active.has(id)) this.writtenAt.delete(id);
      if (this.failing) this.logger.log('API keys can be read again');
      this.failing = false;
      return true;
    } catch (error) {
      // Logged once per outage, not every few seconds.
      if (!this.failing)
        this.logger.warn({ err: error }, 'API keys could not be re-read; table keys are refused after 5 s');
      this.failing = true;
      return false;
    }
  }

  private async flushUses(): Promise<void> {
    const due: { id: string; at: Date }[] = [];
    for (const [id, at] of this.usedAt) {
      if (at - (this.writtenAt.get(id) ?? 0) >= LAST_USED_EVERY_MS) due.push({ id, at: new Date(at) });
    }
    if (!due.length) return;
    await this.repository.recordUse(due);
    for (const { id, at } of due) this.writtenAt.set(id, at.getTime());
  }
}

function toIdentity(row: ActiveApiKey): ApiKeyIdentity {
  return { id: row.id, name: row.name, scopes: row.scopes, source: 'api' };
}
