import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/**
 * When the request arrived at the HTTP server (Fastify starts the reply's clock when it routes the
 * request), not when the handler runs: a request that waited behind others (a busy or cold replica)
 * still counts from its arrival, e.g. for "refresh unless a refresh finished after this request arrived".
 */
export const ArrivedAt = createParamDecorator((_data: unknown, ctx: ExecutionContext): Date => {
  const reply = ctx.switchToHttp().getResponse<FastifyReply>();
  return new Date(Date.now() - reply.elapsedTime);
});
