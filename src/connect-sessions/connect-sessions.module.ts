import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectSessionEntity } from './connect-session.entity';
import { ConnectSessionsController } from './connect-sessions.controller';
import { ConnectSessionsService } from './connect-sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([ConnectSessionEntity])],
  controllers: [ConnectSessionsController],
  providers: [ConnectSessionsService],
  exports: [ConnectSessionsService],
})
export class ConnectSessionsModule {}
