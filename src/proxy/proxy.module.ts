import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { TokenLifecycleModule } from '../token-lifecycle/token-lifecycle.module';
import { registerPrivateAnswers } from './proxy-answer-headers';
import { proxyConfig } from './proxy.config';
import { ProxyController } from './proxy.controller';
import { ProxyService } from './proxy.service';

/** `/proxy/{connectionId}/…`: provider API calls with the connection's token injected. */
@Module({
  imports: [ConfigModule.forFeature(proxyConfig), TokenLifecycleModule],
  controllers: [ProxyController],
  providers: [ProxyService],
  exports: [ProxyService],
})
export class ProxyModule {
  /**
   * Made while the application is created, before Nest registers its routes on Fastify (app.init): the
   * hook that marks every proxy answer private is in place when the proxy's routes are added.
   */
  constructor(adapterHost: HttpAdapterHost) {
    const adapter = adapterHost.httpAdapter;
    if (adapter?.getType() === 'fastify') registerPrivateAnswers(adapter.getInstance<FastifyInstance>());
  }
}
