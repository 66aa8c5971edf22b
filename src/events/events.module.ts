import { Global, Module } from '@nestjs/common';
import { CONNECTION_CHANGES } from '../connections/connection-changes';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ConnectionEvents } from './connection-events';

/** Global: the connections persistence code reports its changes to CONNECTION_CHANGES. */
@Global()
@Module({
  imports: [WebhooksModule],
  providers: [{ provide: CONNECTION_CHANGES, useClass: ConnectionEvents }],
  exports: [CONNECTION_CHANGES],
})
export class EventsModule {}
