import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectionsModule } from '../connections/connections.module';
import { ConnectSessionEntity } from './connect-session.entity';
import { ConnectSessionsController } from './connect-sessions.controller';
import { ConnectSessionsService } from './connect-sessions.service';

@Module({
  // A reconnect session is checked against its connection when it is created.
  imports: [TypeOrmModule.forFeature([ConnectSessionEntity]), ConnectionsModule],
  controllers: [ConnectSessionsController],
  providers: [ConnectSessionsService],
  exports: [ConnectSessionsService],
})
export class ConnectSessionsModule {}
