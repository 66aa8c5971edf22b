import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TestApp } from '../support/app';
import { metricSample as sample } from '../support/metrics';
import { addFault, connectThroughSandbox } from '../support/sandbox-flow';

describe('GET /metrics (Prometheus)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ port: await freePort() });
  }, 60_000);
  afterAll(() => t.close());

  it('needs the API key', async () => {
    await t.anon.get('/metrics').expect(401);
  });

  it('reports HTTP durations by route, refreshes by outcome, their latency, budget waits, connections by status and sweep lag', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'metrics-owner');
    await t.api.get(`/connections/${id}/credentials`).query({ forceRefresh: 'true' }).expect(200);
    await addFault(t, 'keap', { endpoint: 'refresh', kind: 'status_500' });
    await t.api.post(`/connections/${id}/refresh`).expect(502);
    await t.dataSource.query(
      `UPDATE connections SET expires_at = now() + interval '10 minutes', next_refresh_at = NULL WHERE id = $1`,
      [id],
    );

    const res = await t.api.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(
      sample(text, 'http_request_duration_seconds_count', {
        method: 'GET',
        route: '/connections/:id/credentials',
        status: '200',
      }),
    ).toBe(1);
    expect(
      sample(text, 'http_request_duration_seconds_count', {
        method: 'POST',
        route: '/connections/:id/refresh',
        status: '502',
      }),
    ).toBe(1);
    expect(sample(text, 'oauth_refresh_total', { provider: 'keap', outcome: 'refreshed' })).toBe(1);
    expect(sample(text, 'oauth_refresh_total', { provider: 'keap', outcome: 'unavailable' })).toBe(1);
    expect(sample(text, 'oauth_refresh_duration_seconds_count', { provider: 'keap' })).toBe(2);
    expect(sample(text, 'oauth_rate_limit_wait_seconds_count', { provider: 'keap' })).toBe(2);
    expect(sample(text, 'oauth_connections', { provider: 'keap', status: 'active' })).toBe(1);
    // Due 50 minutes ago (10 minutes before expiry, inside the one-hour lead).
    const lag = sample(text, 'oauth_refresh_sweep_lag_seconds', { provider: 'keap' })!;
    expect(lag).toBeGreaterThan(49 * 60);
    expect(lag).toBeLessThan(51 * 60);
    expect(sample(text, 'oauth_refresh_sweep_lag_seconds', { provider: 'webflow' })).toBe(0);
    expect(sample(text, 'process_resident_memory_bytes', {})).toBeGreaterThan(0);
    // Raw paths (with ids) never become labels.
    expect(text).not.toContain(id);
  });
});
