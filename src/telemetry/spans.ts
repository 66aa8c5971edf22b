/**
 * The service's own spans (docs/operations.md "Traces"), as the rest of the code sees them: `withSpan`
 * around a piece of work, attributes on it. Nothing here loads OpenTelemetry: with tracing off (no
 * OTLP endpoint, telemetry/bootstrap.ts) `withSpan` is the call of `fn` itself, with a shared no-op
 * span; with tracing on, telemetry/sdk.ts installs the tracer that makes real spans.
 *
 * Attribute values are ours only: provider names, connection and delivery ids, our outcome codes,
 * HTTP status codes and counts. Never a token, code, secret, query value, header value or body.
 */

/** An attribute value (OpenTelemetry's AttributeValue, scalars only). */
export type SpanValue = string | number | boolean;
/** Attributes of a span; undefined values are left out. */
export type SpanAttributes = Record<string, SpanValue | undefined>;

/** What the code inside a span may do with it. */
export interface SpanScope {
  setAttribute(key: string, value: SpanValue): unknown;
}

/** The span of work that is not traced (tracing off): every call does nothing. */
export const NO_SPAN: SpanScope = { setAttribute: () => undefined };

/**
 * Attributes known only once the work is done: from its result, or from the error it threw (then
 * `outcome` is already the error's code, see errorOutcome).
 */
export type Describe<T> = (result: T | undefined, error: unknown) => SpanAttributes | undefined;

/** The tracing implementation telemetry/sdk.ts installs when an OTLP endpoint is configured. */
export interface Tracer {
  withSpan<T>(
    name: string,
    attributes: SpanAttributes,
    fn: (span: SpanScope) => Promise<T>,
    describe?: Describe<T>,
  ): Promise<T>;
  /** The active span (a no-op one when there is none). */
  activeSpan(): SpanScope;
  /** `{ traceId, spanId }` of the active span for a log line (pino's mixin: a new object each call). */
  logFields(): object;
}

let tracer: Tracer | undefined;

/** Called once, by telemetry/sdk.ts, before the app is created. */
export function installTracer(implementation: Tracer): void {
  tracer = implementation;
}

/** Whether spans are being made (an OTLP endpoint is configured). */
export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/**
 * Runs `fn` inside a span named `name` (a child of the active span, or a new trace) that ends when
 * the promise settles: `outcome` is what `describe` says, `ok` by default, or the error's code
 * (errorOutcome) with the span's status set to error. Tracing off: `fn(NO_SPAN)`, nothing else.
 */
export function withSpan<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (span: SpanScope) => Promise<T>,
  describe?: Describe<T>,
): Promise<T> {
  return tracer === undefined ? fn(NO_SPAN) : tracer.withSpan(name, attributes, fn, describe);
}

/** The active span, to add attributes to it (a no-op one when tracing is off or no span is active). */
export function activeSpan(): SpanScope {
  return tracer === undefined ? NO_SPAN : tracer.activeSpan();
}

/** pino's `mixin` for the root logger: traceId and spanId on each line; undefined when tracing is off. */
export function traceLogMixin(): (() => object) | undefined {
  return tracer && (() => tracer!.logFields());
}

/**
 * The `outcome` of work that threw: our code for it (a ProviderError's or HttpTransportError's kind,
 * a DomainError's code), `error` for anything else. Never the error's message.
 */
export function errorOutcome(error: unknown): string {
  if (error && typeof error === 'object') {
    const { kind, code } = error as { kind?: unknown; code?: unknown };
    if (typeof kind === 'string' && CODE.test(kind)) return kind;
    if (typeof code === 'string' && CODE.test(code)) return code;
  }
  return 'error';
}

const CODE = /^[a-z][a-z0-9_]{0,63}$/;

// ---- The spans of the refresh and the proxy, whose call sites stay one line. With tracing off, these
// are the call of `fn` too: no attributes are built.

/** A refresh's outcome (token-lifecycle/refresh.service.ts RefreshOutcome; structural: telemetry imports none of the modules it traces). */
interface RefreshResult {
  kind: string;
  connection: { provider: string };
  error?: { kind: string };
}

/**
 * The `refresh` span of a connection: `trigger` is `on_demand` (an API call, the proxy's 401) or
 * `sweep`. Outcome: refreshed, current (no call was needed: another refresh satisfied the caller),
 * deferred (the call budget or the lease), or the provider's failure kind (invalid_grant…).
 */
export function traceRefresh<T extends RefreshResult>(
  connectionId: string,
  trigger: 'on_demand' | 'sweep',
  provider: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  if (tracer === undefined) return fn();
  return tracer.withSpan(
    'refresh',
    { provider, 'connection.id': connectionId, 'refresh.trigger': trigger },
    fn,
    (result) =>
      result && {
        provider: result.connection.provider,
        outcome: result.kind === 'failed' ? (result.error?.kind ?? 'failed') : result.kind,
      },
  );
}

/** What the proxy knows of a call when it ends (proxy/proxy.service.ts Outcome). */
interface ProxyResult {
  provider: string;
  status: number;
  attempts: number;
  renewed: boolean;
}

/**
 * The `proxy.call` span, until the provider's answer (status and headers) is in hand: at its end the
 * provider, the status it answered (outcome: its class, `2xx`…, or our refusal's code), the attempts
 * and whether the token was renewed after a 401, from the proxy's own record of the call.
 */
export function traceProxyCall<T>(
  call: { connectionId: string; method: string },
  record: ProxyResult,
  fn: () => Promise<T>,
): Promise<T> {
  if (tracer === undefined) return fn();
  return tracer.withSpan(
    'proxy.call',
    { 'connection.id': call.connectionId, 'http.request.method': call.method },
    fn,
    (_result, error) => ({
      provider: record.provider || undefined,
      'http.response.status_code': record.status || undefined,
      'proxy.attempts': record.attempts,
      'proxy.renewed_token': record.renewed,
      outcome: error === undefined && record.status ? `${Math.floor(record.status / 100)}xx` : undefined,
    }),
  );
}
