import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { ConnectionChange, ConnectionChanges } from '../connections/connection-changes';
import { ConnectionStatus } from '../connections/connection-status';
import { WebhookDeliveriesRepository } from '../webhooks/webhook-deliveries.repository';
import { WebhookEvent } from '../webhooks/webhook-delivery.entity';
import { webhooksConfig } from '../webhooks/webhooks.config';

/** The one place that decides which change is which event; null: the change is not an event. */
export function eventOf(change: ConnectionChange): WebhookEvent | null {
  switch (change.type) {
    case 'created':
      return 'connection.created';
    case 'reconnected':
      return 'connection.reconnected';
    case 'deleted':
      return 'connection.deleted';
    case 'status_changed':
      if (change.connection.status === ConnectionStatus.NeedsReauth) return 'connection.needs_reauth';
      if (change.connection.status === ConnectionStatus.RefreshFailed) return 'connection.refresh_failed';
      if (change.connection.status === ConnectionStatus.Revoked) return 'connection.revoked';
      return null;
  }
}

/** The Standard Webhooks body of an event: who and what, never a token. */
export function eventPayload(type: WebhookEvent, change: ConnectionChange, now: Date): Record<string, unknown> {
  const c = change.connection;
  const reportsError = change.type === 'status_changed' || change.type === 'deleted';
  return {
    type,
    timestamp: now.toISOString(),
    data: {
      connectionId: c.id,
      provider: c.provider,
      ownerId: c.ownerId,
      accountId: c.accountId,
      status: c.status,
      ...(c.lastError && reportsError ? { error: { code: c.lastError.code, message: c.lastError.message } } : {}),
      ...(c.revokedAt ? { revokedAt: c.revokedAt.toISOString() } : {}),
    },
  };
}

/**
 * Connection changes → webhook outbox rows, in the transaction of the change (the transactional
 * outbox): an event exists exactly when its change was committed. Nothing is written when no
 * WEBHOOK_URL is configured.
 */
@Injectable()
export class ConnectionEvents implements ConnectionChanges {
  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    @Inject(webhooksConfig.KEY) private readonly config: ConfigType<typeof webhooksConfig>,
  ) {}

  async record(tx: EntityManager, change: ConnectionChange): Promise<void> {
    const type = eventOf(change);
    if (!type || !this.config.url) return;
    const now = new Date();
    await this.deliveries.enqueue(
      tx,
      { eventType: type, connectionId: change.connection.id, payload: eventPayload(type, change, now) },
      now,
    );
  }
}
