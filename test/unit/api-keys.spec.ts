import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { hashApiKey, newApiKeySecret } from '../../src/auth/api-key-secret';
import { Controller, Delete, Get, Post } from '@nestjs/common';
import { ApiKeys, ApiKeysUnavailable, REVOCATION_WINDOW_MS } from '../../src/auth/api-keys';
import { Public } from '../../src/auth/public.decorator';
import { RequireScope } from '../../src/auth/require-scope.decorator';
import { routesWithoutScope } from '../../src/auth/route-scopes';
import type { ActiveApiKey, ApiKeysRepository } from '../../src/auth/api-keys.repository';
import { allows } from '../../src/auth/scopes';
import { gate, waitFor } from '../support/wait';

const ENV_KEY = 'environment-key-0123456789';

/** The repository as the cache uses it, in memory; lookups can be held. */
class FakeRepository {
  rows: ActiveApiKey[] = [];
  uses: { id: string; at: Date }[][] = [];
  lookups = 0;
  hold?: Promise<void>;
  failing = false;

  active = async () => {
    if (this.failing) throw new Error('database down');
    return [...this.rows];
  };
  activeByHash = async (hash: string) => {
    this.lookups++;
    await this.hold;
    return this.rows.find((r) => r.secretHash === hash);
  };
  recordUse = async (uses: { id: string; at: Date }[]) => void this.uses.push(uses);
}

function setup() {
  const repository = new FakeRepository();
  const keys = new ApiKeys(
    { apiKeys: [ENV_KEY], apiKeyReloadMs: 2000 } as never,
    repository as unknown as ApiKeysRepository,
    new SchedulerRegistry(),
  );
  return { repository, keys };
}

function row(name: string, scopes: ActiveApiKey['scopes']) {
  const secret = newApiKeySecret();
  return { key: secret.key, row: { id: `id-${name}`, name, scopes, secretHash: secret.secretHash } };
}

describe('ApiKeys (the in-memory key check)', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => jest.restoreAllMocks());

  it('knows API_KEYS as admin keys env-1…, table keys after a reload, and tells our unseen keys from junk', async () => {
    const { repository, keys } = setup();
    const reader = row('reader', ['connections:read']);
    repository.rows.push(reader.row);
    expect(keys.check(`Bearer ${ENV_KEY}`)).toEqual({
      kind: 'known',
      identity: { id: 'env-1', name: 'env-1', scopes: ['admin'], source: 'environment' },
    });
    expect(keys.check(`Bearer ${reader.key}`)).toEqual({ kind: 'unseen', secretHash: hashApiKey(reader.key) });
    await keys.reload();
    expect(keys.check(`bearer ${reader.key}`)).toMatchObject({ kind: 'known', identity: { name: 'reader' } });
    for (const header of [
      undefined,
      ['Bearer x'],
      `Basic ${ENV_KEY}`,
      ENV_KEY,
      'Bearer ',
      `Bearer ${ENV_KEY}x`,
      'Bearer ock_short',
    ])
      expect(keys.check(header as string)).toEqual({ kind: 'unknown' });
  });

  it('forgets a revoked key at the next reload, and at once when told', async () => {
    const { repository, keys } = setup();
    const a = row('a', ['metrics']);
    const b = row('b', ['metrics']);
    repository.rows.push(a.row, b.row);
    await keys.reload();
    repository.rows = [b.row];
    await keys.reload();
    expect(keys.check(`Bearer ${a.key}`).kind).toBe('unseen');
    keys.forget(b.row.id);
    expect(keys.check(`Bearer ${b.key}`).kind).toBe('unseen');
    expect(keys.check(`Bearer ${ENV_KEY}`).kind).toBe('known');
  });

  it('looks up at most two unseen keys at once; a third waits for neither and answers 503', async () => {
    const { repository, keys } = setup();
    const a = row('a', ['metrics']);
    repository.rows.push(a.row);
    const held = gate();
    repository.hold = held.promise;
    const first = keys.lookUp(hashApiKey(a.key));
    const second = keys.lookUp(hashApiKey('ock_other'));
    await expect(keys.lookUp(hashApiKey(a.key))).rejects.toBeInstanceOf(ApiKeysUnavailable);
    expect(repository.lookups).toBe(2);
    held.release();
    expect(await first).toMatchObject({ name: 'a', source: 'api' });
    expect(await second).toBeUndefined();
    // Found once, it is known from then on; a miss is not asked again until the next read.
    expect(keys.check(`Bearer ${a.key}`).kind).toBe('known');
    const unknown = `ock_${'B'.repeat(43)}`;
    expect(keys.check(`Bearer ${unknown}`).kind).toBe('unseen');
    expect(await keys.lookUp(hashApiKey(unknown))).toBeUndefined();
    expect(keys.check(`Bearer ${unknown}`).kind).toBe('unknown');
    await keys.reload();
    expect(keys.check(`Bearer ${unknown}`).kind).toBe('unseen');
  });

  it('answers 503, not 401, when the database cannot look a key up', async () => {
    const { repository, keys } = setup();
    repository.activeByHash = () => Promise.reject(new Error('connection refused'));
    await expect(keys.lookUp(hashApiKey(`ock_${'C'.repeat(43)}`))).rejects.toBeInstanceOf(ApiKeysUnavailable);
  });

  it('a lookup that read the key before it was revoked here does not bring it back', async () => {
    const { repository, keys } = setup();
    const a = row('a', ['metrics']);
    repository.rows.push(a.row);
    const held = gate();
    repository.hold = held.promise;
    const lookup = keys.lookUp(hashApiKey(a.key));
    await waitFor(() => repository.lookups === 1, 'lookup started');
    // Revoked here while the lookup's answer (the row, still active when read) is on its way.
    keys.forget(a.row.id);
    held.release();
    expect(await lookup).toBeUndefined();
    expect(keys.check(`Bearer ${a.key}`).kind).not.toBe('known');
  });

  it('a lookup older than the current read of the table does not overrule it', async () => {
    const { repository, keys } = setup();
    const a = row('a', ['metrics']);
    repository.rows.push(a.row);
    const held = gate();
    repository.hold = held.promise;
    const lookup = keys.lookUp(hashApiKey(a.key));
    await waitFor(() => repository.lookups === 1, 'lookup started');
    // Revoked elsewhere; a read that starts after the lookup no longer has it.
    repository.rows = [];
    await new Promise((r) => setTimeout(r, 2));
    await keys.reload();
    held.release();
    expect(await lookup).toBeUndefined();
    expect(keys.check(`Bearer ${a.key}`).kind).not.toBe('known');
  });

  it('a read of the table that started before a revocation here does not bring the key back', async () => {
    const { repository, keys } = setup();
    const a = row('a', ['metrics']);
    repository.rows.push(a.row);
    await keys.reload();
    const held = gate();
    const active = repository.active;
    let reading = false;
    repository.active = async () => {
      const rows = await active();
      reading = true;
      await held.promise;
      return rows;
    };
    const reload = keys.reload();
    await waitFor(() => reading, 'read started');
    keys.forget(a.row.id);
    held.release();
    await reload;
    expect(keys.check(`Bearer ${a.key}`).kind).toBe('unseen');
    // The next read (started after the revocation; the row is gone from the table by then) keeps it out.
    repository.active = active;
    repository.rows = [];
    await keys.reload();
    expect(keys.check(`Bearer ${a.key}`).kind).toBe('unseen');
  });

  it('writes a key’s first use at the next read, later uses at most once a minute, and the last one at shutdown', async () => {
    const { repository, keys } = setup();
    const a = row('a', ['metrics']);
    repository.rows.push(a.row);
    await keys.reload();
    let now = Date.parse('2030-01-01T00:00:00Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    keys.check(`Bearer ${a.key}`);
    keys.check(`Bearer ${ENV_KEY}`);
    await keys.reload();
    expect(repository.uses).toEqual([[{ id: 'id-a', at: new Date(now) }]]);
    const firstWrite = now;
    now += 59_000;
    keys.check(`Bearer ${a.key}`);
    await keys.reload();
    expect(repository.uses).toHaveLength(1);
    // Not used again, but its use at +59 s is still unwritten: written once the minute is over.
    now = firstWrite + 60_000;
    await keys.reload();
    expect(repository.uses[1]).toEqual([{ id: 'id-a', at: new Date(firstWrite + 59_000) }]);
    await keys.reload();
    expect(repository.uses).toHaveLength(2);
    now += 1_000;
    keys.check(`Bearer ${a.key}`);
    await keys.onApplicationShutdown();
    expect(repository.uses[2]).toEqual([{ id: 'id-a', at: new Date(now) }]);
  });

  it('a failing write of last uses does not hold up the read of revocations', async () => {
    const { repository, keys } = setup();
    const a = row('a', ['metrics']);
    repository.rows.push(a.row);
    await keys.reload();
    keys.check(`Bearer ${a.key}`);
    repository.recordUse = () => Promise.reject(new Error('lock timeout'));
    repository.rows = [];
    expect(await keys.reload()).toBe(true);
    expect(keys.check(`Bearer ${a.key}`).kind).toBe('unseen');
    expect(keys.stale).toBe(false);
  });

  it('is stale once the last good read of the table started more than the revocation window ago', async () => {
    const { repository, keys } = setup();
    let now = Date.parse('2030-01-01T00:00:00Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    expect(await keys.reload()).toBe(true);
    repository.failing = true;
    now += REVOCATION_WINDOW_MS;
    expect(await keys.reload()).toBe(false);
    expect(keys.stale).toBe(false);
    now += 1;
    expect(keys.stale).toBe(true);
    repository.failing = false;
    expect(await keys.reload()).toBe(true);
    expect(keys.stale).toBe(false);
  });

  it('every route of the app declares a scope or @Public(); one that does not is named', () => {
    @Controller('x')
    class Declared {
      @Get() @RequireScope('metrics') a() {}
      @Get('p') @Public() b() {}
      helper() {}
    }
    @RequireScope('webhooks')
    @Controller('y')
    class ByController {
      @Post() c() {}
    }
    @Controller('z')
    class Forgot {
      @Get() @RequireScope('metrics') ok() {}
      @Delete(':id') remove() {}
    }
    expect(routesWithoutScope([Declared, ByController, Forgot])).toEqual(['Forgot.remove']);
  });

  it('admin allows every scope; any other scope only itself', () => {
    expect(allows(['admin'], 'credentials:read')).toBe(true);
    expect(allows(['connections:read'], 'connections:read')).toBe(true);
    expect(allows(['connections:read', 'metrics'], 'connections:write')).toBe(false);
    expect(allows(['connections:write'], 'connections:read')).toBe(false);
  });
});
