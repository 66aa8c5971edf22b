import type { EntityManager } from 'typeorm';
import type { ConnectionStatus } from './connection-status';
import type { ConnectionEntity } from './connection.entity';

/** What a write did to a connection, as the persistence code reports it (inside its transaction). */
export type ConnectionChange =
  | { type: 'created' | 'reconnected' | 'deleted'; connection: ConnectionEntity }
  | { type: 'status_changed'; from: ConnectionStatus; connection: ConnectionEntity };

/**
 * Where changes go, in the transaction that made them: the events module turns them into outbox rows
 * (transactional outbox), so an event exists exactly when its change was committed. Connections know
 * this port, not webhooks.
 */
export interface ConnectionChanges {
  record(tx: EntityManager, change: ConnectionChange): Promise<void>;
}

export const CONNECTION_CHANGES = Symbol('CONNECTION_CHANGES');
