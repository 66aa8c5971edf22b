import { spanPath, tracesRequested, untracedPath, withoutHeaders, withoutQuery } from '../../src/telemetry/settings';
import {
  activeSpan,
  errorOutcome,
  NO_SPAN,
  traceLogMixin,
  traceProxyCall,
  traceRefresh,
  tracingEnabled,
  withSpan,
} from '../../src/telemetry/spans';
import { DomainError } from '../../src/common/errors';
import { ProviderError } from '../../src/providers/core/provider-errors';
import { HttpTransportError } from '../../src/common/http-client';

/**
 * The pieces of src/telemetry that need no SDK (the SDK itself is tested in a process of its own:
 * telemetry.e2e.spec.ts). This process never sets an endpoint, so tracing is off here.
 */
describe('telemetry: when it is on', () => {
  it('only with an OTLP endpoint, and not when the SDK or the traces exporter is turned off', () => {
    expect(tracesRequested({})).toBe(false);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBe(false);
    expect(tracesRequested({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe(false);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'false' })).toBe(true);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  });
});

describe('telemetry: what spans may carry of a URL', () => {
  it('no query string or fragment', () => {
    expect(withoutQuery('https://api.example/token?code=abc&state=def')).toBe('https://api.example/token');
    expect(withoutQuery('/oauth/keap/callback?code=abc')).toBe('/oauth/keap/callback');
    expect(withoutQuery('/a#frag')).toBe('/a');
    expect(withoutQuery('/plain/path')).toBe('/plain/path');
  });

  it('a subscription’s delivery URL without its token, whatever the case or a trailing slash', () => {
    const token = 'A'.repeat(43);
    expect(spanPath(`/events/keap/${token}`)).toBe('/events/keap/{token}');
    expect(spanPath(`/EVENTS/Keap/${token}/`)).toBe('/EVENTS/Keap/{token}/');
    expect(spanPath('/events/clickfunnels')).toBe('/events/clickfunnels');
    expect(spanPath('/connections/abc/credentials')).toBe('/connections/abc/credentials');
  });

  it('probes and the metrics scrape are not traced', () => {
    for (const url of ['/health/live', '/health/ready', '/metrics', '/metrics?x=1', '/METRICS'])
      expect([url, untracedPath(url)]).toEqual([url, true]);
    for (const url of ['/connections', '/metrics-x', '/healthz', undefined])
      expect([url, untracedPath(url)]).toEqual([url, false]);
  });

  it('the caller’s trace context is taken out of an undici request’s headers, in either form', () => {
    const names = new Set(['traceparent', 'tracestate', 'baggage']);
    const array = ['accept', 'application/json', 'TraceParent', '00-x-y-01', 'tracestate', 'a=b', 'x-a', ['1', '2']];
    expect(withoutHeaders(array, names)).toBe(array);
    expect(array).toEqual(['accept', 'application/json', 'x-a', ['1', '2']]);
    expect(withoutHeaders('accept: */*\r\ntraceparent: 00-x-y-01\r\nbaggage: k=v\r\n', names)).toBe('accept: */*\r\n');
    const untouched = 'accept: */*\r\n';
    expect(withoutHeaders(untouched, names)).toBe(untouched);
  });
});

describe('telemetry: outcomes are our codes, never messages', () => {
  it('a provider failure’s kind, a domain error’s code, `error` otherwise', () => {
    expect(errorOutcome(new ProviderError('invalid_grant', 'token endpoint answered 400 invalid_grant'))).toBe(
      'invalid_grant',
    );
    expect(errorOutcome(new HttpTransportError('timeout', 'https://x'))).toBe('timeout');
    expect(errorOutcome(new DomainError('upstream_timeout', 504, 'slow'))).toBe('upstream_timeout');
    expect(errorOutcome(new Error('secret in a message'))).toBe('error');
    expect(errorOutcome({ code: 'Not A Code: with text' })).toBe('error');
    expect(errorOutcome('boom')).toBe('error');
    expect(errorOutcome(undefined)).toBe('error');
  });
});

describe('telemetry off: the span helpers are the calls they wrap', () => {
  it('withSpan, traceRefresh and traceProxyCall return the very promise of the wrapped call', async () => {
    expect(tracingEnabled()).toBe(false);
    const result = Promise.resolve('done');
    const seen: unknown[] = [];
    expect(
      withSpan(
        'x',
        {},
        (span) => {
          seen.push(span);
          return result;
        },
        () => {
          throw new Error('describe is not called when off');
        },
      ),
    ).toBe(result);
    expect(seen).toEqual([NO_SPAN]);
    const refreshed = Promise.resolve({ kind: 'refreshed', connection: { provider: 'keap' } });
    expect(traceRefresh('id', 'sweep', 'keap', () => refreshed)).toBe(refreshed);
    expect(
      traceProxyCall(
        { connectionId: 'id', method: 'GET' },
        { provider: '', status: 0, attempts: 0, renewed: false },
        () => result,
      ),
    ).toBe(result);
    await expect(result).resolves.toBe('done');
  });

  it('a rejection passes through untouched; no active span; no log mixin', async () => {
    const failure = new ProviderError('unavailable', 'down');
    await expect(withSpan('x', {}, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(activeSpan()).toBe(NO_SPAN);
    expect(NO_SPAN.setAttribute('k', 'v')).toBeUndefined();
    expect(traceLogMixin()).toBeUndefined();
  });
});
