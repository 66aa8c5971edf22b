import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { revocationsConfig } from './revocations.config';
import { RevocationWorker } from './revocation-worker';
import { TokenRevocationEntity } from './token-revocation.entity';
import { TokenRevocationsRepository } from './token-revocations.repository';

/**
 * The revocation queue (token_revocations) and its worker. Global: the connections service enqueues
 * in its transactions and metrics reads the pending figures, without their modules importing this one.
 * Depends only on providers/core, crypto, common and config.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([TokenRevocationEntity]), ConfigModule.forFeature(revocationsConfig)],
  providers: [TokenRevocationsRepository, RevocationWorker],
  exports: [TokenRevocationsRepository, RevocationWorker],
})
export class RevocationsModule {}
