import { Module } from '@nestjs/common';
import { ConnectSessionsModule } from '../../connect-sessions/connect-sessions.module';
import { ConnectionsModule } from '../../connections/connections.module';
import { ProxyModule } from '../../proxy/proxy.module';
import { DevController } from './dev.controller';

@Module({
  imports: [ConnectSessionsModule, ConnectionsModule, ProxyModule],
  controllers: [DevController],
})
export class DevModule {}
