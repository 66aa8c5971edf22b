import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ConnectionEntity } from './connection.entity';

/** What the connection's webhook registrations came to when it was deleted. */
export interface SubscriptionsOnDelete {
  /** Unregistered at the provider during the DELETE. */
  removed: number;
  /** Queued: the provider could not be reached; the removal worker retries, and the token's revocation waits for it. */
  queued: number;
}

/** What a module does with a connection that is about to be deleted, prepared before the delete's transaction. */
export interface PreparedDeletion {
  /** The tokens must stay valid at the provider for now: their revocation is queued, not made during the DELETE. */
  holdRevocation: boolean;
  subscriptions: SubscriptionsOnDelete;
  /** Runs in the delete's transaction, with the row as it is locked there. */
  inTransaction(tx: EntityManager, row: ConnectionEntity): Promise<void>;
}

export interface ConnectionDeletionHook {
  /** Before the delete, while the connection's tokens still work: the provider-side work that needs them. */
  prepareDelete(connection: ConnectionEntity): Promise<PreparedDeletion>;
}

/** How a browser flow stored its connection. */
export interface Connected {
  /** A reconnect of a connection the user had uninstalled (status `revoked` before). */
  revived: boolean;
}

/** Called after a browser flow stored a connection (created, or reconnected in place). */
export type ConnectedListener = (connection: ConnectionEntity, how: Connected) => Promise<void>;

const NOTHING: PreparedDeletion = {
  holdRevocation: false,
  subscriptions: { removed: 0, queued: 0 },
  inTransaction: async () => {},
};

/**
 * Where modules that build on connections (provider events) join a connection's lifecycle without the
 * connections folder importing them: they register here when the app starts. One deletion hook (its
 * outcome is part of the DELETE's answer), any number of connected listeners.
 */
@Injectable()
export class ConnectionHooks {
  private readonly logger = new Logger('Connections');
  private deletion?: ConnectionDeletionHook;
  private readonly connectedListeners: ConnectedListener[] = [];

  setDeletionHook(hook: ConnectionDeletionHook): void {
    if (this.deletion) throw new Error('a connection deletion hook is already registered');
    this.deletion = hook;
  }

  onConnected(listener: ConnectedListener): void {
    this.connectedListeners.push(listener);
  }

  prepareDelete(connection: ConnectionEntity): Promise<PreparedDeletion> {
    return this.deletion ? this.deletion.prepareDelete(connection) : Promise.resolve(NOTHING);
  }

  /** Runs every listener; a listener's failure is logged and never undoes or fails the connect. */
  async connected(connection: ConnectionEntity, how: Connected = { revived: false }): Promise<void> {
    for (const listener of this.connectedListeners) {
      try {
        await listener(connection, how);
      } catch (error) {
        this.logger.warn(
          {
            connectionId: connection.id,
            provider: connection.provider,
            error: error instanceof Error ? error.name : 'unknown',
          },
          'a step after connecting failed; the connection is stored',
        );
      }
    }
  }
}
