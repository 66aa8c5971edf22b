import { Global, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ConnectionsModule } from '../connections/connections.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Global()
@Module({
  imports: [ConnectionsModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Times every request, unknown routes and body-parser failures included, when its response is
   * finished (Fastify's onResponse: after the last byte, with the time since the request arrived).
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      // The matched route pattern, never the raw path: ids and queries stay out of the labels.
      this.metrics.observeRequest(
        request.method,
        request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
        reply.statusCode,
        reply.elapsedTime,
      );
      // Set by the API-key guard once it knew the key (so also on a 403).
      if (request.apiKey) this.metrics.observeKeyRequest(request.apiKey.name, reply.statusCode);
      done();
    });
  }
}
