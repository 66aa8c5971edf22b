/**
 * How a browser flow can fail: the `error` of the return URL, of the result page's message to its
 * opener, and of a connect session's status. The flow (src/oauth) explains each on its error page;
 * the list lives here because the session records it and src/oauth builds on this folder, not the
 * reverse.
 */
export const FLOW_FAILURES = [
  'access_denied',
  'invalid_state',
  'session_expired',
  'provider_mismatch',
  'token_exchange_failed',
  'identity_failed',
  'internal_error',
  // A reconnect came back with another provider account than the connection's.
  'account_mismatch',
] as const;
export type FlowFailure = (typeof FLOW_FAILURES)[number];

/** What a session records when its flow ends; `pending` until then. */
export const RECORDED_STATUSES = ['pending', 'connected', 'error'] as const;
export type RecordedStatus = (typeof RECORDED_STATUSES)[number];

/** What the API answers: a pending session past its time reads `expired` (never stored). */
export const SESSION_STATUSES = ['pending', 'connected', 'error', 'expired'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** The recorded end of a flow. */
export type FlowEnding =
  { status: 'connected'; connectionId: string; provider: string } | { status: 'error'; error: FlowFailure };

/** A session's state as the API, the observe channel and the result page's message tell it. */
export interface SessionState {
  status: SessionStatus;
  connectionId?: string;
  provider?: string;
  error?: FlowFailure;
}

/**
 * A connect session's link is valid 10 minutes; a flow started from it has its own 10 minutes at the
 * provider (the flow state's lifetime, oauth-state.store.ts uses this one), so a user doing 2FA there
 * is not cut off by the link's age.
 */
export const CONNECT_SESSION_TTL_MS = 10 * 60 * 1000;
export const FLOW_TTL_MS = 10 * 60 * 1000;

/**
 * `expired`: still pending and nothing can end it any more. That is past the link's time, and, when
 * the link was opened, past the flow's time too: a session whose user is still at the provider after
 * the link's ten minutes may yet connect, and must not be reported as over.
 */
/** See isOver. */
const FLOW_GRACE_MS = 30_000;

export function isOver(session: { expiresAt: Date; usedAt: Date | null }, now: Date = new Date()): boolean {
  const t = now.getTime();
  if (t < session.expiresAt.getTime()) return false;
  // The flow's own state row is written a moment after the link is opened: a grace, so a callback
  // that arrives at the very end of the flow's time is not preceded by an `expired`.
  return session.usedAt === null || t >= session.usedAt.getTime() + FLOW_TTL_MS + FLOW_GRACE_MS;
}
