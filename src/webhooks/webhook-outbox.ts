import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ConnectionEntity } from '../connections/connection.entity';
import { WebhookDeliveryEntity, WebhookEvent } from './webhook-delivery.entity';
import { webhooksConfig } from './webhooks.config';

/**
 * Writes events into the outbox inside the caller's transaction, so an event exists exactly when the
 * change it reports was committed. Nothing is written when no WEBHOOK_URL is configured.
 */
@Injectable()
export class WebhookOutbox {
  constructor(@Inject(webhooksConfig.KEY) private readonly config: ConfigType<typeof webhooksConfig>) {}

  get enabled(): boolean {
    return Boolean(this.config.url);
  }

  async record(
    tx: EntityManager,
    type: WebhookEvent,
    c: Pick<ConnectionEntity, 'id' | 'provider' | 'ownerId' | 'accountId' | 'status' | 'lastError'>,
  ): Promise<void> {
    if (!this.enabled) return;
    const now = new Date();
    await tx.getRepository(WebhookDeliveryEntity).insert({
      id: randomUUID(),
      eventType: type,
      connectionId: c.id,
      payload: {
        type,
        timestamp: now.toISOString(),
        data: {
          connectionId: c.id,
          provider: c.provider,
          ownerId: c.ownerId,
          accountId: c.accountId,
          status: c.status,
          ...(c.lastError && type !== 'connection.created' && type !== 'connection.reconnected'
            ? { error: { code: c.lastError.code, message: c.lastError.message } }
            : {}),
        },
      },
      status: 'pending',
      nextAttemptAt: now,
    });
  }
}
