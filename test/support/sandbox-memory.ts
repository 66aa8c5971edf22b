import type { SandboxWebhooks, StoredWebhook } from '../../src/dev/sandbox/simulators/simulator';

/**
 * The simulators' webhook store in memory, for unit tests of their registration routes. Every
 * handshake is answered `echo` (verified unless false) with the secret `hs`.
 */
export function memoryWebhooks(echo = true): SandboxWebhooks & { rows: StoredWebhook[] } {
  const rows: StoredWebhook[] = [];
  return {
    rows,
    create: async (hook) => {
      const row: StoredWebhook = { name: null, secret: null, data: {}, ...hook, createdAt: new Date() };
      rows.push(row);
      return row;
    },
    list: async (account) => rows.filter((h) => h.account === account),
    find: async (id) => rows.find((h) => h.id === id) ?? null,
    remove: async (id) => {
      const at = rows.findIndex((h) => h.id === id);
      if (at >= 0) rows.splice(at, 1);
      return at >= 0;
    },
    update: async (id, change) => {
      const hook = rows.find((h) => h.id === id);
      if (hook) Object.assign(hook, change);
    },
    handshake: async () => ({ verified: echo, secret: 'hs' }),
  };
}
