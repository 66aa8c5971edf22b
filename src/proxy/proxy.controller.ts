import { Controller, Delete, Get, Param, Patch, Post, Put, Req, Res } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../auth/require-scope.decorator';
import { ValidationFailed } from '../common/errors';
import { UuidParam } from '../common/validation';
import { loadProxyConfig } from './proxy.config';
import { InvalidProxyPath, callerResponseHeaders } from './proxy-target';
import { ProxyService } from './proxy.service';

/**
 * Bodies as bytes, up to PROXY_MAX_BODY_BYTES (read when the route is registered); the key and its
 * `proxy` scope are checked before they are read, like every route's (http/check-before-body.ts).
 */
const ROUTE = {
  rawBody: true,
  bodyLimit: () => loadProxyConfig().maxBodyBytes,
  // Cache-Control: private, no-store and Vary: Authorization on every answer (proxy-answer-headers.ts).
  privateAnswers: true,
} as const;
const PATHS = [':connectionId', ':connectionId/*'];
/** The connection id and the rest of the raw URL (path and query, as the caller sent them). */
const RAW = /^\/proxy\/[^/?]+(.*)$/i;

/**
 * `/proxy/{connectionId}/{path…}`: the connection's provider API, with its token (docs/proxy.md).
 * Documented in the OpenAPI document by buildOpenApiDocument (one path, six methods), since a
 * wildcard route has no OpenAPI form of its own.
 */
@ApiExcludeController()
@RequireScope('proxy')
@Controller('proxy')
export class ProxyController {
  constructor(private readonly proxy: ProxyService) {}

  // GET also answers HEAD (Fastify's head routes): the provider gets a HEAD.
  @Get(PATHS)
  @RouteConfig(ROUTE)
  get(@Param('connectionId', UuidParam) id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.forward(id, req, reply);
  }

  @Post(PATHS)
  @RouteConfig(ROUTE)
  post(@Param('connectionId', UuidParam) id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.forward(id, req, reply);
  }

  @Put(PATHS)
  @RouteConfig(ROUTE)
  put(@Param('connectionId', UuidParam) id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.forward(id, req, reply);
  }

  @Patch(PATHS)
  @RouteConfig(ROUTE)
  patch(@Param('connectionId', UuidParam) id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.forward(id, req, reply);
  }

  @Delete(PATHS)
  @RouteConfig(ROUTE)
  delete(@Param('connectionId', UuidParam) id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.forward(id, req, reply);
  }

  private async forward(connectionId: string, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const rest = RAW.exec(req.raw.url ?? '')?.[1];
    if (rest === undefined) throw new InvalidProxyPath('not a /proxy/{connectionId}/… URL');
    // The caller going away ends the provider call too.
    const aborted = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) aborted.abort();
    });
    const answer = await this.proxy.forward({
      connectionId,
      method: req.method,
      rest,
      headers: req.headers,
      body: Buffer.isBuffer(req.body) ? req.body : undefined,
      requestId: req.id,
      retries: proxyRetries(req.headers['proxy-retries']),
      signal: aborted.signal,
    });
    // The provider's answer, told apart from the service's own (RFC 9209).
    reply.header('Proxy-Status', `oauth-connections; received-status=${answer.status}`);
    reply
      .status(answer.status)
      .headers(callerResponseHeaders(answer.headers, (name) => reply.hasHeader(name)))
      .send(answer.body);
  }
}

function proxyRetries(value: string | string[] | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'string' || !/^[0-5]$/.test(value.trim()))
    throw new ValidationFailed('Proxy-Retries must be a whole number from 0 to 5');
  return Number(value.trim());
}
