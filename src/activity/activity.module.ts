import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectionsModule } from '../connections/connections.module';
import { activityConfig } from './activity.config';
import { ActivityController } from './activity.controller';
import { ActivityService } from './activity.service';
import { ConnectionActivity } from './connection-activity';
import { ConnectionActivityEntity } from './connection-activity.entity';

/**
 * Each connection's activity (docs/operations.md "Activity"). Global: the events module makes it one of
 * the CONNECTION_CHANGES recorders, the provider events record subscriptions and inbound events, the
 * proxy counts its calls, the console shows the timeline.
 */
@Global()
@Module({
  imports: [
    ConfigModule.forFeature(activityConfig),
    TypeOrmModule.forFeature([ConnectionActivityEntity]),
    ConnectionsModule,
  ],
  controllers: [ActivityController],
  providers: [ConnectionActivity, ActivityService],
  exports: [ConnectionActivity, ActivityService],
})
export class ActivityModule {}
