import type { SchemaObject } from '@nestjs/swagger';

/**
 * The body of /health/live and /health/ready (Terminus' HealthCheckResult), as @HealthCheck() would
 * document it, but with its closed sets as enums so every string of the contract is bounded.
 */
function indicators(example: object): SchemaObject {
  return {
    type: 'object',
    example,
    additionalProperties: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['up', 'down'] } },
      additionalProperties: true,
    },
  };
}

const UP = { database: { status: 'up' } };
const DOWN = { database: { status: 'down', message: 'timeout of 3000ms exceeded' } };

export function healthCheckSchema(status: 'ok' | 'error'): SchemaObject {
  return {
    type: 'object',
    properties: {
      status: {
        type: 'string',
        enum: status === 'ok' ? ['ok'] : ['error', 'shutting_down'],
        example: status,
      },
      info: { ...indicators(status === 'ok' ? UP : {}), nullable: true },
      error: { ...indicators(status === 'ok' ? {} : DOWN), nullable: true },
      details: indicators(status === 'ok' ? UP : DOWN),
    },
  };
}
