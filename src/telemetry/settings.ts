/**
 * When the service exports traces, decided from the standard OpenTelemetry variables alone (nothing
 * of OpenTelemetry is loaded to decide it): an OTLP endpoint is set, for all signals
 * (OTEL_EXPORTER_OTLP_ENDPOINT) or for traces (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and neither
 * OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none turns the SDK off.
 */
export function tracesRequested(env: Record<string, string | undefined> = process.env): boolean {
  const set = (name: string) => (env[name]?.trim() ?? '') !== '';
  if (!set('OTEL_EXPORTER_OTLP_ENDPOINT') && !set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')) return false;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  return !(exporters.length > 0 && exporters.every((name) => name === 'none'));
}

/** `service.name` unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES says otherwise. */
export const DEFAULT_SERVICE_NAME = 'oauth-connections';

/** Requests never traced: the probes (every few seconds) and the Prometheus scrape. */
export function untracedPath(url: string | undefined): boolean {
  const path = (url ?? '').toLowerCase();
  return path.startsWith('/health/') || path === '/metrics' || path.startsWith('/metrics?') || path === '/metrics/';
}

/**
 * A request path as span attributes may carry it: a subscription's delivery URL
 * `/events/{provider}/{token}` holds its secret token (the proof of some providers' deliveries), which
 * is replaced by `{token}`. Other paths carry ids, never secrets (queries are dropped elsewhere).
 */
export function spanPath(path: string): string {
  return path.replace(/^(\/events\/[^/?#]+\/)[^/?#]+/i, '$1{token}');
}

/** A URL without its query string and fragment (they may carry codes, states or signatures). */
export function withoutQuery(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** An undici request's headers (an array of names and values since undici 6, a string in undici 5). */
type UndiciHeaders = string | (string | string[])[];

/**
 * Takes `names` (lower case) out of an undici request's headers: the proxy forwards the caller's
 * headers, and the caller's `traceparent`, `tracestate` and `baggage` (already continued by the
 * server span) would otherwise go upstream next to the ones the instrumentation injects.
 */
export function withoutHeaders<H extends UndiciHeaders>(headers: H, names: ReadonlySet<string>): H {
  if (Array.isArray(headers)) {
    // In place: the request keeps the array it has.
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      const name = headers[i];
      if (typeof name === 'string' && names.has(name.toLowerCase())) headers.splice(i, 2);
    }
    return headers;
  }
  if (typeof headers === 'string') {
    const lines = headers.split('\r\n');
    const kept = lines.filter((line) => !names.has(line.slice(0, line.indexOf(':')).trim().toLowerCase()));
    return (kept.length === lines.length ? headers : kept.join('\r\n')) as H;
  }
  return headers;
}
