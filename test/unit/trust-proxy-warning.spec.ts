import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createHttpAdapter, HttpSettings } from '../../src/http/http-adapter';
import { registerTrustProxyWarning, TRUST_PROXY_WARNING } from '../../src/http/trust-proxy-warning';

/** A pino logger writing into an array, as the app's root logger would. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const warnings = () => lines.filter((l) => l.msg === TRUST_PROXY_WARNING);
  return { logger, lines, warnings };
}

const CLIENT = '203.0.113.77';

describe('the TRUST_PROXY warning (issue 27)', () => {
  async function server(trustProxy: false | number | string[]) {
    const log = capturedLogger();
    const fastify = Fastify({ trustProxy });
    registerTrustProxyWarning(fastify, trustProxy, log.logger);
    fastify.get('/x', (request, reply) => reply.send({ ip: request.ip }));
    await fastify.ready();
    return { fastify, ...log };
  }
  const get = (fastify: FastifyInstance, headers: Record<string, string> = {}) =>
    fastify.inject({ method: 'GET', url: '/x', remoteAddress: '10.0.0.5', headers });

  it('TRUST_PROXY off: the first request with X-Forwarded-For logs one warning; later ones do not', async () => {
    const { fastify, warnings, lines } = await server(false);
    try {
      expect((await get(fastify)).statusCode).toBe(200);
      expect(warnings()).toHaveLength(0);
      const first = await get(fastify, { 'x-forwarded-for': `${CLIENT}, 198.51.100.9` });
      // The socket's address is the client, as TRUST_PROXY off says.
      expect(first.json()).toEqual({ ip: '10.0.0.5' });
      expect(warnings()).toEqual([expect.objectContaining({ level: 40, remoteAddress: '10.0.0.5' })]);
      for (let i = 0; i < 3; i++) await get(fastify, { 'x-forwarded-for': `198.51.100.${i}` });
      expect(warnings()).toHaveLength(1);
      // Never the header's value.
      expect(JSON.stringify(lines)).not.toContain(CLIENT);
      expect(JSON.stringify(lines)).not.toContain('198.51.100.');
    } finally {
      await fastify.close();
    }
  });

  it('an empty X-Forwarded-For counts too: the header is there', async () => {
    const { fastify, warnings } = await server(false);
    try {
      await get(fastify, { 'x-forwarded-for': '' });
      expect(warnings()).toHaveLength(1);
    } finally {
      await fastify.close();
    }
  });

  it.each([[1], [['10.0.0.0/8']], [['loopback']]])('TRUST_PROXY %j: no warning', async (trustProxy) => {
    const { fastify, lines } = await server(trustProxy);
    try {
      expect((await get(fastify, { 'x-forwarded-for': CLIENT })).statusCode).toBe(200);
      expect(lines).toEqual([]);
    } finally {
      await fastify.close();
    }
  });

  it('once per server: a second server in the same process warns on its own', async () => {
    const a = await server(false);
    const b = await server(false);
    try {
      await get(a.fastify, { 'x-forwarded-for': CLIENT });
      await get(b.fastify, { 'x-forwarded-for': CLIENT });
      expect(a.warnings()).toHaveLength(1);
      expect(b.warnings()).toHaveLength(1);
    } finally {
      await a.fastify.close();
      await b.fastify.close();
    }
  });

  describe('registered by the HTTP adapter, before the hooks that answer early', () => {
    const settings: HttpSettings = {
      publicUrl: 'http://localhost:3000',
      trustProxy: false,
      oauthRateLimitPerMinute: 1,
      signInRateLimitPerMinute: 0,
      eventsRateLimitPerMinute: 0,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 72_000,
    };

    it('an unknown route (404 in the first onRequest hook) still counts', async () => {
      const log = capturedLogger();
      const fastify = createHttpAdapter(log.logger, settings).getInstance<FastifyInstance>();
      await fastify.ready();
      try {
        const res = await fastify.inject({ method: 'GET', url: '/nowhere', headers: { 'x-forwarded-for': CLIENT } });
        expect(res.statusCode).toBe(404);
        expect(log.warnings()).toHaveLength(1);
        expect(JSON.stringify(log.lines)).not.toContain(CLIENT);
      } finally {
        await fastify.close();
      }
    });

    it('with TRUST_PROXY set, the adapter registers nothing that warns', async () => {
      const log = capturedLogger();
      const fastify = createHttpAdapter(log.logger, { ...settings, trustProxy: 1 }).getInstance<FastifyInstance>();
      await fastify.ready();
      try {
        await fastify.inject({ method: 'GET', url: '/nowhere', headers: { 'x-forwarded-for': CLIENT } });
        expect(log.warnings()).toHaveLength(0);
      } finally {
        await fastify.close();
      }
    });
  });
});
