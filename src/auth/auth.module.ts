import { Global, Module, OnModuleInit } from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeys } from './api-keys';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';

/** API keys: the table, the in-memory check of every request (ApiKeyGuard) and /api-keys. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity])],
  controllers: [ApiKeysController],
  providers: [ApiKeys, ApiKeysRepository, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeys],
})
export class AuthModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    // Declared up front, so every request object has the same shape (Fastify's advice for speed).
    this.adapterHost.httpAdapter?.getInstance<FastifyInstance>().decorateRequest('apiKey', null);
  }
}
