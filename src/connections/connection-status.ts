/** The one list of connection statuses; SQL, DTOs, the entity's CHECK and the status machine read it. */
export const ConnectionStatus = {
  Active: 'active',
  /** Refreshing kept failing (CONNECTION_MAX_REFRESH_FAILURES); the sweep keeps trying with backoff. */
  RefreshFailed: 'refresh_failed',
  /** The access token expired while refreshes failed; the sweep keeps trying. */
  Expired: 'expired',
  /** The grant is dead (invalid_grant, or a whoami 401): only the user can fix it by reconnecting. */
  NeedsReauth: 'needs_reauth',
  /**
   * The user uninstalled the app at the provider: tokens deleted, the row kept with `revoked_at`; a
   * reconnect of the same account makes it active again (same id).
   */
  Revoked: 'revoked',
} as const;
export type ConnectionStatus = (typeof ConnectionStatus)[keyof typeof ConnectionStatus];

export const CONNECTION_STATUSES: readonly ConnectionStatus[] = Object.values(ConnectionStatus);

/** Statuses the sweep still refreshes. */
export const REFRESHABLE_STATUSES: readonly ConnectionStatus[] = [
  ConnectionStatus.Active,
  ConnectionStatus.RefreshFailed,
  ConnectionStatus.Expired,
];

/** Statuses whose tokens are not handed out: the user has to reconnect. */
export const needsUser = (status: ConnectionStatus): boolean =>
  status === ConnectionStatus.NeedsReauth || status === ConnectionStatus.Revoked;

/** `'a', 'b'` for an IN (…) list of constant statuses in a SQL string (values from this file only, never input). */
export const sqlList = (statuses: readonly ConnectionStatus[]): string => statuses.map((s) => `'${s}'`).join(', ');

/** The last failure of a connection, as stored (`last_error`) and shown by the API and webhooks. */
export interface LastError {
  code: string;
  /** Already redacted: never a token, code or secret. */
  message: string;
  at: string;
}
