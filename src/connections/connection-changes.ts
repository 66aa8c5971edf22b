import type { EntityManager } from 'typeorm';
import type { ConnectionStatus } from './connection-status';
import type { ConnectionEntity } from './connection.entity';

/** What a write did to a connection, as the persistence code reports it (inside its transaction). */
export type ConnectionChange =
  | { type: 'created' | 'reconnected' | 'deleted'; connection: ConnectionEntity }
  | { type: 'status_changed'; from: ConnectionStatus; connection: ConnectionEntity };

/**
 * What a refresh or a whoami check came to, as the token-lifecycle persistence code records it (inside
 * its transaction): the connection's activity keeps these; they are no webhook event. `code` is the
 * service's own (a failure kind such as `invalid_grant`), never the provider's text.
 */
export type TokenOutcome =
  | { type: 'refreshed' | 'verified'; connectionId: string }
  | { type: 'refresh_failed' | 'verify_failed'; connectionId: string; code: string };

/**
 * Where changes go, in the transaction that made them: the events module turns them into outbox rows
 * (transactional outbox), so an event exists exactly when its change was committed, and the activity
 * module into the connection's history (docs/operations.md "Activity"). Connections know this port,
 * not webhooks or the activity.
 */
export interface ConnectionChanges {
  record(tx: EntityManager, change: ConnectionChange): Promise<void>;
  /** Refresh and whoami outcomes; a recorder with nothing to do for them (the webhook outbox) has none. */
  recordOutcome?(tx: EntityManager, outcome: TokenOutcome): Promise<void>;
}

export const CONNECTION_CHANGES = Symbol('CONNECTION_CHANGES');

/**
 * Several recorders as the one CONNECTION_CHANGES (webhooks, then the activity): each is called in the
 * change's transaction, in order, and a failure of any fails the transaction, so every record of a
 * change commits exactly when the change does.
 */
export class ConnectionChangeRecorders implements Required<ConnectionChanges> {
  constructor(private readonly recorders: readonly ConnectionChanges[]) {}

  async record(tx: EntityManager, change: ConnectionChange): Promise<void> {
    for (const recorder of this.recorders) await recorder.record(tx, change);
  }

  async recordOutcome(tx: EntityManager, outcome: TokenOutcome): Promise<void> {
    for (const recorder of this.recorders) await recorder.recordOutcome?.(tx, outcome);
  }
}
