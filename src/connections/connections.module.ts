import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectionHooks } from './connection-hooks';
import { ConnectionEntity } from './connection.entity';
import { ConnectionsController } from './connections.controller';
import { ConnectionsService } from './connections.service';
import { ConnectionLifecycleRepository } from './persistence/connection-lifecycle.repository';
import { ConnectionStatsRepository } from './persistence/connection-stats.repository';
import { ConnectionsRepository } from './persistence/connections.repository';

/** The connections table's only owner: every statement on it is in ./persistence. */
@Module({
  imports: [TypeOrmModule.forFeature([ConnectionEntity])],
  controllers: [ConnectionsController],
  providers: [
    ConnectionsRepository,
    ConnectionLifecycleRepository,
    ConnectionStatsRepository,
    ConnectionsService,
    ConnectionHooks,
  ],
  exports: [
    ConnectionsRepository,
    ConnectionLifecycleRepository,
    ConnectionStatsRepository,
    ConnectionsService,
    ConnectionHooks,
  ],
})
export class ConnectionsModule {}
