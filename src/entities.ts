import { ConnectionActivityEntity } from './activity/connection-activity.entity';
import { ApiKeyEntity } from './auth/api-key.entity';
import { ConnectSessionEntity } from './connect-sessions/connect-session.entity';
import { ConsoleSessionEntity } from './console/console-session.entity';
import { ConnectionEntity } from './connections/connection.entity';
import { OAuthStateEntity } from './oauth/oauth-state.entity';
import { EventSubscriptionEntity } from './provider-events/event-subscription.entity';
import { InboundEventEntity } from './provider-events/inbound-event.entity';
import { TokenRevocationEntity } from './revocations/token-revocation.entity';
import { RefreshBudgetEntity } from './token-lifecycle/refresh-budget.entity';
import { RefreshHistoryEntity } from './token-lifecycle/refresh-history.entity';
import { WebhookDeliveryEntity } from './webhooks/webhook-delivery.entity';

/**
 * Every entity of the service's schema (the development module's simulators keep theirs apart), for the tools that work without the Nest app: the TypeORM CLI
 * (migrations), the key-rotation command and the migration drift test. The app itself registers each
 * entity in the module that owns its table (TypeOrmModule.forFeature + autoLoadEntities).
 */
export const ENTITIES = [
  ApiKeyEntity,
  ConnectionActivityEntity,
  ConnectionEntity,
  ConnectSessionEntity,
  ConsoleSessionEntity,
  EventSubscriptionEntity,
  InboundEventEntity,
  OAuthStateEntity,
  RefreshBudgetEntity,
  RefreshHistoryEntity,
  TokenRevocationEntity,
  WebhookDeliveryEntity,
];
