import { Global, Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module';
import { ConnectionActivity } from '../activity/connection-activity';
import { CONNECTION_CHANGES, ConnectionChangeRecorders } from '../connections/connection-changes';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ConnectionEvents } from './connection-events';

/**
 * Global: the connections persistence code reports its changes to CONNECTION_CHANGES, which records
 * each in the change's transaction as a webhook outbox row and as an entry of the connection's activity.
 */
@Global()
@Module({
  imports: [WebhooksModule, ActivityModule],
  providers: [
    ConnectionEvents,
    {
      provide: CONNECTION_CHANGES,
      inject: [ConnectionEvents, ConnectionActivity],
      useFactory: (events: ConnectionEvents, activity: ConnectionActivity) =>
        new ConnectionChangeRecorders([events, activity]),
    },
  ],
  exports: [CONNECTION_CHANGES],
})
export class EventsModule {}
