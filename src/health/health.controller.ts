import { applyDecorators, Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';
import { healthCheckSchema } from './health.dto';

/** Terminus' no-cache header, and its answers documented with bounded strings (health.dto.ts). */
const HealthCheckDocumented = () =>
  applyDecorators(
    HealthCheck({ noCache: true, swaggerDocumentation: false }),
    ApiOkResponse({ description: 'The Health Check is successful', schema: healthCheckSchema('ok') }),
    ApiServiceUnavailableResponse({
      description: 'The Health Check is not successful',
      schema: healthCheckSchema('error'),
    }),
  );

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheckDocumented()
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'The process is up (no dependencies checked)',
    description: 'For a liveness probe: 200 while the process serves requests. No API key.',
  })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheckDocumented()
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'The service can serve requests: the database answers',
    description: 'For a readiness probe: 200 when the database answers within 3 s, else 503. No API key.',
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.db.pingCheck('database', { timeout: 3000 })]);
  }
}
