import { Logger } from '@nestjs/common';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { DomainError } from '../../src/common/errors';
import type { MetricsService } from '../../src/metrics/metrics.service';
import type { ProviderCatalog } from '../../src/providers/core/provider-catalog';
import { loadProxyConfig } from '../../src/proxy/proxy.config';
import { ProxyCall, ProxyService } from '../../src/proxy/proxy.service';
import type { CredentialsService } from '../../src/token-lifecycle/credentials.service';
import type { VerificationService } from '../../src/token-lifecycle/verification.service';

/**
 * The production rule for proxy targets, without a database: a target on a loopback, private or
 * link-local address is refused (an IP literal before the call, a name when its socket connects),
 * unless the provider's configured API base is itself on one.
 */
describe('ProxyService in production: private addresses', () => {
  let server: http.Server;
  let port = 0;
  const services: ProxyService[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.onApplicationShutdown()));
    server.close();
  });

  /** A service whose one connection's provider is configured at `configuredBase` and calls `target`. */
  function serviceFor(configuredBase: string, target: string): ProxyService {
    const credentials = {
      usableToken: () =>
        Promise.resolve({
          accessToken: 'AT',
          connection: { provider: 'p', apiBaseUrl: target, tokenType: 'Bearer', hasRefreshToken: false },
        }),
    } as unknown as CredentialsService;
    const provider = { name: 'p', settings: { apiBaseUrl: configuredBase }, apiBaseFor: (stored: string) => stored };
    const catalog = { find: () => provider } as unknown as ProviderCatalog;
    const metrics = { observeProxyCall: () => undefined } as unknown as MetricsService;
    const config = { ...loadProxyConfig({ PROXY_TIMEOUT_MS: '2000' }), guardPrivateAddresses: true };
    const service = new ProxyService(credentials, {} as VerificationService, catalog, metrics, config);
    services.push(service);
    return service;
  }

  const call = (): ProxyCall => ({
    connectionId: '00000000-0000-4000-8000-000000000001',
    method: 'GET',
    rest: '/x',
    headers: {},
    body: undefined,
    requestId: 'r',
    retries: 0,
    signal: new AbortController().signal,
  });

  const refusal = async (service: ProxyService) => {
    const error = await service.forward(call()).then(
      () => undefined,
      (e: unknown) => e,
    );
    return error instanceof DomainError ? [error.status, error.code] : error;
  };

  it('refuses an IP literal on a private address, before any call', async () => {
    expect(await refusal(serviceFor('https://93.184.215.14', `http://127.0.0.1:${port}/api`))).toEqual([
      502,
      'proxy_target_not_allowed',
    ]);
    expect(await refusal(serviceFor('https://93.184.215.14', 'http://169.254.169.254/latest'))).toEqual([
      502,
      'proxy_target_not_allowed',
    ]);
  });

  it('refuses a name that resolves to a private address, when the socket connects', async () => {
    expect(await refusal(serviceFor('https://93.184.215.14', `http://localhost:${port}/api`))).toEqual([
      502,
      'proxy_target_not_allowed',
    ]);
  });

  it("another private host than the configured one stays refused, even when the provider's base is private", async () => {
    expect(await refusal(serviceFor(`http://127.0.0.1:${port}/api`, `http://localhost:${port}/api`))).toEqual([
      502,
      'proxy_target_not_allowed',
    ]);
  });

  it("calls a private address when the provider's configured base is itself on one", async () => {
    const answer = await serviceFor(`http://127.0.0.1:${port}/api`, `http://127.0.0.1:${port}/api`).forward(call());
    expect(answer.status).toBe(200);
    if (!Buffer.isBuffer(answer.body)) await answer.body.dump();
  });
});
