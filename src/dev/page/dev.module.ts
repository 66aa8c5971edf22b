import { Module } from '@nestjs/common';
import { ConnectSessionsModule } from '../../connect-sessions/connect-sessions.module';
import { ConnectionsModule } from '../../connections/connections.module';
import { ProviderEventsModule } from '../../provider-events/provider-events.module';
import { ProxyModule } from '../../proxy/proxy.module';
import { DevEvents } from './dev-events';
import { DevController } from './dev.controller';

@Module({
  imports: [ConnectSessionsModule, ConnectionsModule, ProxyModule, ProviderEventsModule],
  controllers: [DevController],
  providers: [DevEvents],
})
export class DevModule {}
