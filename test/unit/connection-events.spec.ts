import { ConnectionChange } from '../../src/connections/connection-changes';
import { ConnectionEntity } from '../../src/connections/connection.entity';
import { ConfigType } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { ConnectionEvents, eventOf, eventPayload } from '../../src/events/connection-events';
import { NewDelivery, WebhookDeliveriesRepository } from '../../src/webhooks/webhook-deliveries.repository';
import { webhooksConfig } from '../../src/webhooks/webhooks.config';

const connection = (over: Partial<ConnectionEntity> = {}) =>
  ({
    id: '5f0b3a52-6d0e-4c1e-9d2e-3a4b5c6d7e8f',
    provider: 'keap',
    ownerId: 'owner-1',
    accountId: 'ab123',
    status: 'active',
    lastError: null,
    accessToken: 'v1.k1.secret-envelope',
    refreshToken: 'v1.k1.other-envelope',
    ...over,
  }) as ConnectionEntity;
const lastError = {
  code: 'invalid_grant',
  message: 'token endpoint answered invalid_grant',
  at: '2030-01-01T00:00:00.000Z',
};

describe('connection events', () => {
  it.each<[string, ConnectionChange, string | null]>([
    ['a creation', { type: 'created', connection: connection() }, 'connection.created'],
    ['a reconnect', { type: 'reconnected', connection: connection() }, 'connection.reconnected'],
    ['a delete', { type: 'deleted', connection: connection() }, 'connection.deleted'],
    [
      'needs_reauth',
      { type: 'status_changed', from: 'active', connection: connection({ status: 'needs_reauth' }) },
      'connection.needs_reauth',
    ],
    [
      'refresh_failed',
      { type: 'status_changed', from: 'active', connection: connection({ status: 'refresh_failed' }) },
      'connection.refresh_failed',
    ],
    [
      'revoked (the user uninstalled the app)',
      { type: 'status_changed', from: 'active', connection: connection({ status: 'revoked' }) },
      'connection.revoked',
    ],
    [
      'expired (not an event)',
      { type: 'status_changed', from: 'active', connection: connection({ status: 'expired' }) },
      null,
    ],
    ['back to active (not an event)', { type: 'status_changed', from: 'expired', connection: connection() }, null],
  ])('%s', (_name, change, expected) => {
    expect(eventOf(change)).toBe(expected);
  });

  it('the payload names the connection and its error, never a token', () => {
    const now = new Date('2030-01-02T00:00:00.000Z');
    const change: ConnectionChange = {
      type: 'status_changed',
      from: 'active',
      connection: connection({ status: 'needs_reauth', lastError }),
    };
    const payload = eventPayload('connection.needs_reauth', change, now);
    expect(payload).toEqual({
      type: 'connection.needs_reauth',
      timestamp: now.toISOString(),
      data: {
        connectionId: change.connection.id,
        provider: 'keap',
        ownerId: 'owner-1',
        accountId: 'ab123',
        status: 'needs_reauth',
        error: { code: 'invalid_grant', message: lastError.message },
      },
    });
    expect(JSON.stringify(payload)).not.toContain('envelope');
  });

  it('a reconnect does not repeat the error the reconnect just cleared', () => {
    const change: ConnectionChange = { type: 'reconnected', connection: connection({ lastError }) };
    expect(eventPayload('connection.reconnected', change, new Date())).not.toHaveProperty('data.error');
  });

  it('a delete reports the error the connection had', () => {
    const change: ConnectionChange = { type: 'deleted', connection: connection({ status: 'needs_reauth', lastError }) };
    expect(eventPayload('connection.deleted', change, new Date())).toHaveProperty('data.error.code', 'invalid_grant');
  });

  describe('ConnectionEvents.record', () => {
    const tx = {} as EntityManager;
    const recorder = () => {
      const enqueued: { tx: EntityManager; delivery: NewDelivery }[] = [];
      const deliveries = {
        enqueue: (t: EntityManager, delivery: NewDelivery) => {
          enqueued.push({ tx: t, delivery });
          return Promise.resolve();
        },
      } as unknown as WebhookDeliveriesRepository;
      return { enqueued, deliveries };
    };
    const config = (url?: string) => ({ url }) as unknown as ConfigType<typeof webhooksConfig>;

    it('writes the outbox row through the transaction of the change', async () => {
      const { enqueued, deliveries } = recorder();
      await new ConnectionEvents(deliveries, config('http://127.0.0.1:9/hook')).record(tx, {
        type: 'created',
        connection: connection(),
      });
      expect(enqueued).toHaveLength(1);
      expect(enqueued[0].tx).toBe(tx);
      expect(enqueued[0].delivery).toMatchObject({ eventType: 'connection.created', connectionId: connection().id });
    });

    it('writes nothing without a WEBHOOK_URL, or for a change that is not an event', async () => {
      const { enqueued, deliveries } = recorder();
      await new ConnectionEvents(deliveries, config(undefined)).record(tx, {
        type: 'created',
        connection: connection(),
      });
      const expired = connection({ status: 'expired' });
      await new ConnectionEvents(deliveries, config('http://127.0.0.1:9/hook')).record(tx, {
        type: 'status_changed',
        from: 'active',
        connection: expired,
      });
      expect(enqueued).toHaveLength(0);
    });
  });
});
