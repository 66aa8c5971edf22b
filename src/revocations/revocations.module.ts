import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProviderCallBudget } from './provider-call-budget';
import { revocationsConfig } from './revocations.config';
import { RevocationWorker } from './revocation-worker';
import { TokenRevocationEntity } from './token-revocation.entity';
import { TokenRevocationsRepository } from './token-revocations.repository';

/**
 * The revocation queue (token_revocations) and its worker, and the per-provider call budget the worker
 * shares with refreshes (ProviderCallBudget; token-lifecycle's RefreshBudget wraps it). Global: the
 * connections service enqueues in its transactions, metrics reads the pending figures and
 * token-lifecycle takes from the budget, without their modules importing this one. Depends only on
 * providers/core, crypto, common and config.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([TokenRevocationEntity]), ConfigModule.forFeature(revocationsConfig)],
  providers: [TokenRevocationsRepository, RevocationWorker, ProviderCallBudget],
  exports: [TokenRevocationsRepository, RevocationWorker, ProviderCallBudget],
})
export class RevocationsModule {}
