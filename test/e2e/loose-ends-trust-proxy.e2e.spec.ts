import { TRUST_PROXY_WARNING } from '../../src/http/trust-proxy-warning';
import { startTestApp, TestApp } from '../support/app';

/**
 * Issue 27: behind a proxy with TRUST_PROXY off every client has the proxy's address (one rate-limit
 * bucket). The real app warns once, on the first request that carries X-Forwarded-For, without its value.
 */
describe('the TRUST_PROXY warning in the running app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: undefined } });
  }, 60_000);
  afterAll(() => t?.close());

  const warnings = () => t.logs.entries().filter((entry) => entry.msg === TRUST_PROXY_WARNING);

  it('logs one warning for the first request with X-Forwarded-For, none before it, never the value', async () => {
    await t.anon.get('/health/live').expect(200);
    expect(warnings()).toHaveLength(0);
    await t.anon.get('/health/live').set('X-Forwarded-For', '198.51.100.23').expect(200);
    await t.api.get('/connections').set('X-Forwarded-For', '198.51.100.24, 10.1.2.3').expect(200);
    expect(warnings()).toEqual([expect.objectContaining({ level: 40, remoteAddress: expect.any(String) })]);
    expect(t.logs.text).not.toContain('198.51.100.');
  });
});
