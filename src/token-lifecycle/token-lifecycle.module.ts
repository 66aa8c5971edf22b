import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectionsModule } from '../connections/connections.module';
import { CredentialsService } from './credentials.service';
import { LifecycleController } from './lifecycle.controller';
import { RefreshBudget } from './refresh-budget';
import { RefreshBudgetEntity } from './refresh-budget.entity';
import { RefreshSweep } from './refresh-sweep';
import { RefreshService } from './refresh.service';
import { VerificationService } from './verification.service';

@Module({
  imports: [TypeOrmModule.forFeature([RefreshBudgetEntity]), ConnectionsModule, ScheduleModule.forRoot()],
  controllers: [LifecycleController],
  providers: [RefreshBudget, RefreshService, VerificationService, CredentialsService, RefreshSweep],
  exports: [RefreshService, RefreshSweep, CredentialsService, VerificationService],
})
export class TokenLifecycleModule {}
