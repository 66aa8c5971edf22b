import { Controller, Delete, Get, Patch, Post, Put, Req, Res } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../auth/require-scope.decorator';
import { ValidationFailed } from '../common/errors';
import { loadProxyConfig } from './proxy.config';
import { InvalidProxyPath, callerResponseHeaders } from './proxy-target';
import { CallerSignal, ProxyService } from './proxy.service';

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
 * What UuidParam (Nest's ParseUUIDPipe, any version) accepts, checked in the handler: the proxy's
 * routes run no pipe at all (no param pipe, and so not the global ValidationPipe either).
 */
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;
/** Proxy-Status of the provider's answers, by status (RFC 9209), made once. */
const proxyStatus = new Map<number, string>();

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
  get(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.forward(req, reply);
  }

  @Post(PATHS)
  @RouteConfig(ROUTE)
  post(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.forward(req, reply);
  }

  @Put(PATHS)
  @RouteConfig(ROUTE)
  put(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.forward(req, reply);
  }

  @Patch(PATHS)
  @RouteConfig(ROUTE)
  patch(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.forward(req, reply);
  }

  @Delete(PATHS)
  @RouteConfig(ROUTE)
  delete(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.forward(req, reply);
  }

  private async forward(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const connectionId = (req.params as { connectionId?: unknown }).connectionId;
    if (typeof connectionId !== 'string' || !UUID.test(connectionId)) throw new ValidationFailed('id must be a UUID');
    const rest = RAW.exec(req.raw.url ?? '')?.[1];
    if (rest === undefined) throw new InvalidProxyPath('not a /proxy/{connectionId}/… URL');
    // The caller going away ends the provider call too.
    const aborted = new CallerSignal();
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
      signal: aborted,
    });
    // The provider's answer, told apart from the service's own (RFC 9209).
    let status = proxyStatus.get(answer.status);
    if (status === undefined)
      proxyStatus.set(answer.status, (status = `oauth-connections; received-status=${answer.status}`));
    reply.header('Proxy-Status', status);
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
