import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { hashApiKey, newApiKeySecret } from '../../src/auth/api-key-secret';
import { ApiKeys, REVOCATION_WINDOW_MS } from '../../src/auth/api-keys';
import type { ActiveApiKey, ApiKeysRepository } from '../../src/auth/api-keys.repository';
import { allows } from '../../src/auth/scopes';
import { gate } from '../support/wait';

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

  it('looks up at most two unseen keys at once; the third is refused without a query', async () => {
    const { repository, keys } = setup();
    const a = row('a', ['metrics']);
    repository.rows.push(a.row);
    const held = gate();
    repository.hold = held.promise;
    const first = keys.lookUp(hashApiKey(a.key));
    const second = keys.lookUp(hashApiKey('ock_other'));
    expect(await keys.lookUp(hashApiKey(a.key))).toBeUndefined();
    expect(repository.lookups).toBe(2);
    held.release();
    expect(await first).toMatchObject({ name: 'a', source: 'api' });
    expect(await second).toBeUndefined();
    // Found once, it is known from then on.
    expect(keys.check(`Bearer ${a.key}`).kind).toBe('known');
    expect(repository.lookups).toBe(2);
  });

  it('writes a table key’s last use at its first reload, then at most once a minute', async () => {
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
    now += 59_000;
    keys.check(`Bearer ${a.key}`);
    await keys.reload();
    expect(repository.uses).toHaveLength(1);
    now += 1_000;
    keys.check(`Bearer ${a.key}`);
    await keys.reload();
    expect(repository.uses).toEqual([
      [{ id: 'id-a', at: new Date(now - 60_000) }],
      [{ id: 'id-a', at: new Date(now) }],
    ]);
  });

  it('is stale once the table could not be read for the revocation window, and fresh again after a good read', async () => {
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

  it('admin allows every scope; any other scope only itself', () => {
    expect(allows(['admin'], 'credentials:read')).toBe(true);
    expect(allows(['connections:read'], 'connections:read')).toBe(true);
    expect(allows(['connections:read', 'metrics'], 'connections:write')).toBe(false);
    expect(allows(['connections:write'], 'connections:read')).toBe(false);
  });
});
