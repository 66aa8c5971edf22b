import { Logger } from '@nestjs/common';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { DomainError } from '../../src/common/errors';
import type { MetricsService } from '../../src/metrics/metrics.service';
import type { ProviderCatalog } from '../../src/providers/core/provider-catalog';
import { loadProxyConfig } from '../../src/proxy/proxy.config';
import { CallerSignal, ProxyCall, ProxyService } from '../../src/proxy/proxy.service';
import type { CredentialsService } from '../../src/token-lifecycle/credentials.service';
import type { VerificationService } from '../../src/token-lifecycle/verification.service';

/**
 * The production rule for proxy targets, without a database: a target on a loopback, private or
 * link-local address is refused (an IP literal before the call, a name when its socket connects),
 * unless it is the provider's configured API host and `<P>_ALLOW_PRIVATE_API_HOST=true` allows that
 * host. The guard is on because the configuration says production (loadProxyConfig), not set by hand.
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
  afterEach(() => jest.restoreAllMocks());

  /**
   * A service whose one connection's provider is configured at `configuredBase` (with
   * `allowPrivateApiHost`) and calls `target`, under the configuration of NODE_ENV `nodeEnv`.
   */
  function serviceFor(
    configuredBase: string,
    target: string,
    { allowPrivateApiHost = false, nodeEnv = 'production' } = {},
  ): ProxyService {
    const credentials = {
      usableToken: () =>
        Promise.resolve({
          accessToken: 'AT',
          connection: { provider: 'p', apiBaseUrl: target, tokenType: 'Bearer', hasRefreshToken: false },
        }),
    } as unknown as CredentialsService;
    const provider = {
      name: 'p',
      settings: { apiBaseUrl: configuredBase, allowPrivateApiHost },
      apiBaseFor: (stored: string) => stored,
    };
    const catalog = { find: () => provider } as unknown as ProviderCatalog;
    const metrics = { observeProxyCall: () => undefined } as unknown as MetricsService;
    const config = loadProxyConfig({ NODE_ENV: nodeEnv, PROXY_TIMEOUT_MS: '2000' });
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
    signal: new CallerSignal(),
  });

  const refusal = async (service: ProxyService) => {
    const error = await service.forward(call()).then(
      async (answer) => {
        if (!Buffer.isBuffer(answer.body)) await answer.body.dump();
        return answer.status;
      },
      (e: unknown) => e,
    );
    return error instanceof DomainError ? [error.status, error.code] : error;
  };
  const REFUSED = [502, 'proxy_target_not_allowed'];

  it('refuses an IP literal on a private address, before any call', async () => {
    expect(await refusal(serviceFor('https://93.184.215.14', `http://127.0.0.1:${port}/api`))).toEqual(REFUSED);
    expect(await refusal(serviceFor('https://93.184.215.14', 'http://169.254.169.254/latest'))).toEqual(REFUSED);
  });

  it('refuses a name that resolves to a private address, when the socket connects', async () => {
    expect(await refusal(serviceFor('https://93.184.215.14', `http://localhost:${port}/api`))).toEqual(REFUSED);
  });

  it("refuses the provider's configured API host on a private address unless <P>_ALLOW_PRIVATE_API_HOST allows it", async () => {
    const base = `http://127.0.0.1:${port}/api`;
    expect(await refusal(serviceFor(base, base))).toEqual(REFUSED);
    expect(await refusal(serviceFor(base, base, { allowPrivateApiHost: true }))).toBe(200);
  });

  it('the allowance is not decided by DNS: a configured name that resolves to a private address stays refused without the setting', async () => {
    // The module object itself (what `import { lookup } from 'node:dns/promises'` calls through).
    const lookup = jest.spyOn(jest.requireActual<typeof import('node:dns/promises')>('node:dns/promises'), 'lookup');
    const base = `http://localhost:${port}/api`;
    // localhost resolves to a loopback address: that alone allows nothing.
    expect(await refusal(serviceFor(base, base))).toEqual(REFUSED);
    // Allowed by the setting, the call is made without asking DNS whether the host is private.
    expect(await refusal(serviceFor(base, base, { allowPrivateApiHost: true }))).toBe(200);
    expect(lookup).not.toHaveBeenCalled();
  });

  it('the allowance covers the configured host only: another private host stays refused', async () => {
    const allowed = { allowPrivateApiHost: true };
    expect(await refusal(serviceFor(`http://127.0.0.1:${port}/api`, `http://localhost:${port}/api`, allowed))).toEqual(
      REFUSED,
    );
    expect(await refusal(serviceFor(`http://127.0.0.1:${port}/api`, `http://127.0.0.2:${port}/api`, allowed))).toEqual(
      REFUSED,
    );
  });

  it('outside production (the configuration says so) a private address is called', async () => {
    for (const nodeEnv of ['development', 'test'])
      expect(await refusal(serviceFor('https://93.184.215.14', `http://127.0.0.1:${port}/api`, { nodeEnv }))).toBe(200);
  });
});

/**
 * The caller going away ends a call that waits between retries: the proxy's routes pass a CallerSignal
 * (an EventEmitter undici takes), the development page an AbortSignal; both stop the wait at once.
 */
describe('ProxyService: a caller that goes away during a retry wait', () => {
  let server: http.Server;
  let port = 0;
  let calls = 0;
  let service: ProxyService;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    server = http.createServer((_req, res) => {
      calls++;
      res.writeHead(503, { 'Retry-After': '20' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    const base = `http://127.0.0.1:${port}/api`;
    const credentials = {
      usableToken: () =>
        Promise.resolve({
          accessToken: 'AT',
          connection: { provider: 'p', apiBaseUrl: base, tokenType: 'Bearer', hasRefreshToken: false, tokenVersion: 1 },
        }),
    } as unknown as CredentialsService;
    const provider = { name: 'p', settings: { apiBaseUrl: base }, apiBaseFor: (stored: string) => stored };
    service = new ProxyService(
      credentials,
      {} as VerificationService,
      { find: () => provider } as unknown as ProviderCatalog,
      { observeProxyCall: () => undefined } as unknown as MetricsService,
      loadProxyConfig({ NODE_ENV: 'test' }),
    );
  });
  afterAll(async () => {
    await service.onApplicationShutdown();
    server.close();
  });

  it.each([
    ['a CallerSignal', () => new CallerSignal()],
    ['an AbortSignal', () => new AbortController()],
  ])('%s: 499 request_aborted as soon as it aborts, no further attempt', async (_name, make) => {
    calls = 0;
    const source = make();
    const signal = source instanceof AbortController ? source.signal : source;
    const started = Date.now();
    const outcome = service
      .forward({
        connectionId: '00000000-0000-4000-8000-000000000002',
        method: 'GET',
        rest: '/x',
        headers: {},
        body: undefined,
        requestId: 'r',
        retries: 1,
        signal,
      })
      .then(
        () => 'answered',
        (e: unknown) => (e instanceof DomainError ? [e.status, e.code] : e),
      );
    // The first attempt's 503 has come back: the call now waits 20 s (Retry-After) before its retry.
    while (calls < 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    source.abort();
    expect(await outcome).toEqual([499, 'request_aborted']);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(calls).toBe(1);
  });
});
