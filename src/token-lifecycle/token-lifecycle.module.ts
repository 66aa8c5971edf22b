import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectionsModule } from '../connections/connections.module';
import { CredentialsService } from './credentials.service';
import { LifecycleController } from './lifecycle.controller';
import { RefreshBudget } from './refresh-budget';
import { RefreshBudgetEntity } from './refresh-budget.entity';
import { RefreshHistory } from './refresh-history';
import { RefreshHistoryEntity } from './refresh-history.entity';
import { RefreshSweep } from './refresh-sweep';
import { RefreshService } from './refresh.service';
import { VerificationService } from './verification.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([RefreshBudgetEntity, RefreshHistoryEntity]),
    ConnectionsModule,
    ScheduleModule.forRoot(),
  ],
  controllers: [LifecycleController],
  providers: [RefreshBudget, RefreshHistory, RefreshService, VerificationService, CredentialsService, RefreshSweep],
  exports: [RefreshService, RefreshSweep, RefreshHistory, CredentialsService, VerificationService],
})
export class TokenLifecycleModule {}
