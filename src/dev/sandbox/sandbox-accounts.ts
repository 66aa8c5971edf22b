import { createHash } from 'node:crypto';
import type { SandboxAccount } from './sandbox.entities';
import type { SandboxProvider } from './sandbox-providers';

export const DEFAULT_ACCOUNT_SEED = 'demo';

/** The consent form's free-text account name, reduced to something safe to store and show. */
export function normalizeSeed(raw: string | undefined): string {
  const seed = (raw ?? '')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9._@/-]+/g, '-')
    .slice(0, 64);
  return seed.replace(/^[-/]+|[-/]+$/g, '') || DEFAULT_ACCOUNT_SEED;
}

function hashOf(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000'), 'utf8').digest();
}

/** A number in [min, min + span) derived from the hash: the same seed always gives the same id. */
const numberOf = (parts: string[], min: number, span: number) => min + (hashOf(...parts).readUInt32BE(0) % span);
const hexOf = (parts: string[], length: number) =>
  hashOf(...parts)
    .toString('hex')
    .slice(0, length);

const title = (s: string) =>
  s.replace(/(^|[-._/ ])([a-z])/g, (_m, sep: string, c: string) => `${sep === '' ? '' : ' '}${c.toUpperCase()}`).trim();

/**
 * The simulated identity behind a seed. Deterministic, so reconnecting "the same user" lands on the same
 * provider-side account. ClickFunnels seeds may be `team/workspace` to simulate two workspaces of one team.
 */
export function simulatedAccount(provider: SandboxProvider, seed: string): SandboxAccount {
  const local = seed.replace(/@.*$/, '').replace(/[^a-z0-9._-]+/g, '.') || DEFAULT_ACCOUNT_SEED;
  const email = `${local}@sandbox.example`;
  switch (provider.name) {
    case 'keap': {
      const alnum = seed.replace(/[^a-z0-9]+/g, '').slice(0, 20);
      return {
        userId: String(numberOf(['keap-user', seed], 100_000, 900_000)),
        email,
        appName: `ab${alnum || numberOf(['keap-app', seed], 100, 900)}`,
      };
    }
    case 'clickfunnels': {
      const team = seed.split('/')[0] || DEFAULT_ACCOUNT_SEED;
      const workspace = seed.includes('/') ? seed.slice(seed.indexOf('/') + 1) : seed;
      return {
        userId: String(numberOf(['cf2-user', seed], 10_000, 90_000)),
        email,
        teamId: numberOf(['cf2-team', team], 1000, 9000),
        teamName: `${title(team)}'s Team`,
        workspaceId: numberOf(['cf2-workspace', seed], 10_000, 90_000),
        workspaceName: title(workspace),
      };
    }
    case 'clickfunnels-classic':
      return { userId: String(numberOf(['cfc-user', seed], 100_000, 900_000)), email };
    case 'lightfunnels':
      return { userId: String(numberOf(['lf-account', seed], 1_000_000, 9_000_000)), email };
    case 'webflow':
      // Webflow ids are 24 hex characters.
      return { userId: hexOf(['webflow-user', seed], 24), email };
  }
}

export function personName(account: SandboxAccount): { first: string; last: string } {
  return { first: title(account.email.replace(/@.*$/, '')) || 'Demo', last: 'Sandbox' };
}

export const webflowWorkspaceId = (account: SandboxAccount) => hexOf(['webflow-workspace', account.userId], 24);
export const keapHost = (account: SandboxAccount) => `${account.appName ?? 'ab000'}.infusionsoft.com`;

/** Label/value lines describing the account on the consent page. */
export function describeAccount(provider: SandboxProvider, account: SandboxAccount): Array<[string, string]> {
  const user: [string, string] = ['User', account.email];
  switch (provider.name) {
    case 'keap':
      return [user, ['Keap app', keapHost(account)]];
    case 'clickfunnels':
      return [
        user,
        ['Team', `${account.teamName} (#${account.teamId})`],
        ['Workspace', `${account.workspaceName} (#${account.workspaceId})`],
      ];
    case 'webflow':
      return [user, ['User id', account.userId], ['Workspace', webflowWorkspaceId(account)]];
    default:
      return [user, ['Account id', account.userId]];
  }
}
