import { Global, Module, OnModuleInit, Type } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule, DiscoveryService, HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeys } from './api-keys';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { routesWithoutScope } from './route-scopes';

/** API keys: the table, the in-memory check of every request (ApiKeyGuard), /api-keys and ApiKeysService. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity]), DiscoveryModule],
  controllers: [ApiKeysController],
  providers: [ApiKeys, ApiKeysRepository, ApiKeysService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeys, ApiKeysService],
})
export class AuthModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly discovery: DiscoveryService,
  ) {}

  onModuleInit(): void {
    const controllers = this.discovery
      .getControllers()
      .map((wrapper) => wrapper.metatype)
      .filter((metatype): metatype is Type => typeof metatype === 'function');
    const undeclared = routesWithoutScope(controllers);
    if (undeclared.length) throw new Error(`Routes without @RequireScope or @Public(): ${undeclared.join(', ')}`);
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    // Declared up front, so every request object has the same shape (Fastify's advice for speed).
    fastify.decorateRequest('apiKey', null);
  }
}
