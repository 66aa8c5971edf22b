import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator';
import type { FastifyReply } from 'fastify';
import { MetricsService } from './metrics.service';

/**
 * GET /metrics: Prometheus text format, for a key with the `metrics` scope (Prometheus:
 * `authorization: {credentials: <key>}`), which can read nothing else.
 */
@ApiExcludeController()
@RequireScope('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    reply.type(this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
