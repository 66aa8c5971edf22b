import { ProviderSettings } from './provider-settings';

const DAY_MS = 86_400_000;

export interface Lifetimes {
  expiresAt: Date | null;
  refreshTokenExpiresAt: Date | null;
}

/**
 * When the access and refresh tokens expire. `expiresIn` (already validated) counts from the
 * provider's `created_at` when it sent a plausible one (Doorkeeper does), else from now; without it the
 * provider's documented lifetime applies (Keap 24 h) or the token does not expire. A refresh token
 * expires at the provider's documented horizon (Keap 45 days by default).
 */
export function tokenLifetimes(
  settings: Pick<ProviderSettings, 'accessTokenLifetimeSeconds' | 'refreshTokenLifetimeDays'>,
  tokens: { expiresIn?: number; hasRefreshToken: boolean; createdAt?: unknown },
  now: Date,
): Lifetimes {
  let expiresAt: Date | null = null;
  if (tokens.expiresIn !== undefined) {
    const created = typeof tokens.createdAt === 'number' ? tokens.createdAt * 1000 : NaN;
    const base = Number.isFinite(created) && Math.abs(created - now.getTime()) < DAY_MS ? created : now.getTime();
    expiresAt = new Date(base + tokens.expiresIn * 1000);
  } else if (settings.accessTokenLifetimeSeconds !== undefined) {
    expiresAt = new Date(now.getTime() + settings.accessTokenLifetimeSeconds * 1000);
  }
  const refreshTokenExpiresAt =
    tokens.hasRefreshToken && settings.refreshTokenLifetimeDays !== undefined
      ? new Date(now.getTime() + settings.refreshTokenLifetimeDays * DAY_MS)
      : null;
  return { expiresAt, refreshTokenExpiresAt };
}

/** Scopes as granted: the token response's `scope` (space or comma separated) when present. */
export function grantedScopes(scope: string | undefined, requested: string[]): string[] {
  const granted = scope?.split(/[\s,]+/).filter(Boolean);
  return granted && granted.length ? granted : requested;
}
