/**
 * OpenTelemetry, loaded only when an OTLP endpoint is configured (telemetry/bootstrap.ts requires this
 * module then, and nothing else requires it): the Node SDK with the HTTP (server side), undici
 * (fetch and the proxy's undici) and pg instrumentations, traces exported over OTLP as the standard
 * OTEL_* variables say (docs/operations.md "Traces").
 *
 * What the instrumentations record is narrowed to what may leave the service:
 * - no query string anywhere: the server span's `url.query` is left out, client spans' `url.full` is
 *   origin and path (a query may hold an OAuth code, a state, a signature);
 * - `/events/{provider}/{token}`'s token (the proof of a subscription's deliveries) is `{token}`;
 * - no header captured, SQL as text with placeholders (never the parameters: pg's
 *   `enhancedDatabaseReporting` stays off), errors as their code (pg's own sanitised message);
 * - health probes and the metrics scrape are not traced; pg and undici spans only inside a trace
 *   (a request, a refresh, a delivery), so the pollers' claims every second make no traces.
 * Metrics and logs stay where they are (/metrics, stdout): no OpenTelemetry meter or log export.
 */
import {
  context,
  diag,
  DiagLogLevel,
  propagation,
  SpanStatusCode,
  trace,
  type DiagLogger,
  type Span,
  type SpanStatus,
} from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation, type UndiciRequest } from '@opentelemetry/instrumentation-undici';
import { core, NodeSDK, resources } from '@opentelemetry/sdk-node';
import type { FastifyInstance } from 'fastify';
import { AsyncResource } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { DEFAULT_SERVICE_NAME, spanPath, untracedPath, withoutHeaders, withoutQuery } from './settings';
import { errorOutcome, installTracer, NO_SPAN, type Describe, type SpanAttributes, type SpanScope } from './spans';

const INSTRUMENTATION_SCOPE = 'oauth-connections';

/** Starts the SDK and installs the service's tracer (spans.ts). Returns the SDK, for tests. */
/** Makes a span keep only the code of any status set on it, never its message. */
export function codeOnlyStatus(span: Pick<Span, 'setStatus'>): void {
  const set = span.setStatus.bind(span);
  span.setStatus = (status: SpanStatus) => set({ code: status.code });
}

export function startTelemetry(): NodeSDK {
  // OpenTelemetry's own messages (an export that failed, a bad OTEL_* value) go to the service's log,
  // at OTEL_LOG_LEVEL (default warn): set before the SDK reads the variables, and again after it (it
  // installs a console logger of its own when OTEL_LOG_LEVEL is set).
  const diagnostics = () =>
    diag.setLogger(new ServiceDiagLogger(), {
      logLevel: core.diagLogLevelFromString(process.env.OTEL_LOG_LEVEL) ?? DiagLogLevel.WARN,
      suppressOverrideMessage: true,
    });
  diagnostics();
  const sdk = new NodeSDK({
    // The default service.name; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector,
    // merged over this) win.
    resource: resources
      .defaultResource()
      .merge(resources.resourceFromAttributes({ 'service.name': DEFAULT_SERVICE_NAME })),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => untracedPath(request.url),
        startIncomingSpanHook: (request) => ({
          'url.path': spanPath(withoutQuery(request.url ?? '/')),
          // Left out (an undefined attribute is not set): the query string and its values.
          'url.query': undefined,
        }),
        // Outbound calls go through fetch and undici (the undici instrumentation); node:http's client
        // is used by nothing but the OTLP exporter itself.
        disableOutgoingRequestInstrumentation: true,
        headersToSpanAttributes: {},
      }),
      new UndiciInstrumentation({
        requireParentforSpans: true,
        startSpanHook: (request) => ({
          'url.full': withoutQuery(`${request.origin}${request.path}`),
          'url.query': undefined,
        }),
        requestHook: dropCallersTraceHeaders,
      }),
      new PgInstrumentation({
        requireParentSpan: true,
        enhancedDatabaseReporting: false,
        // A failed query's span status would carry Postgres's message, which can quote a value (22P02:
        // 'invalid input syntax for type uuid: "…"'): the code only; error.type has the SQLSTATE.
        requestHook: (span) => codeOnlyStatus(span),
      }),
    ],
    // Traces only.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  diagnostics();
  nameServerSpansByRoute();
  flushBeforeExit(sdk);
  installTracer(new OtelTracer());
  return sdk;
}

/** The service's spans (spans.ts withSpan) on OpenTelemetry's tracer. */
class OtelTracer {
  private readonly tracer = trace.getTracer(INSTRUMENTATION_SCOPE);

  withSpan<T>(
    name: string,
    attributes: SpanAttributes,
    fn: (span: SpanScope) => Promise<T>,
    describe?: Describe<T>,
  ): Promise<T> {
    return this.tracer.startActiveSpan(name, { attributes: attributes }, async (span: Span) => {
      // The span as `fn` sees it: an `outcome` it sets stays (unless it throws).
      let outcomeSet = false;
      const scope: SpanScope = {
        setAttribute: (key, value) => {
          if (key === 'outcome') outcomeSet = true;
          span.setAttribute(key, value);
        },
      };
      try {
        const result = await fn(scope);
        const described = describe?.(result, undefined);
        if (!outcomeSet) span.setAttribute('outcome', 'ok');
        // Attributes `describe` leaves undefined are not set.
        if (described) span.setAttributes(described);
        return result;
      } catch (error) {
        const outcome = errorOutcome(error);
        span.setAttribute('outcome', outcome);
        span.setAttribute('error.type', error instanceof Error ? error.name : 'error');
        span.setAttributes(describe?.(undefined, error) ?? {});
        // The code, never the message (it may quote a URL or a provider's text).
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  activeSpan(): SpanScope {
    return trace.getSpan(context.active()) ?? NO_SPAN;
  }

  /** A new object each time: pino merges the line's own fields into it. */
  logFields(): object {
    const span = trace.getSpan(context.active());
    if (!span) return {};
    const spanContext = span.spanContext();
    return trace.isSpanContextValid(spanContext) ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : {};
  }
}

/**
 * The proxy forwards the caller's headers; when the caller sent trace context, the server span
 * continued it, and the context injected upstream (a child of the proxy call) replaces the caller's.
 */
function dropCallersTraceHeaders(span: Span, request: UndiciRequest): void {
  if (!trace.isSpanContextValid(span.spanContext())) return;
  const fields = new Set(propagation.fields().map((name) => name.toLowerCase()));
  if (fields.size) request.headers = withoutHeaders(request.headers, fields);
}

/**
 * Server spans named by route (`GET /connections/:id/credentials`, and `http.route`), not by the
 * path with its ids: Fastify announces each instance it creates (the `fastify.initialization`
 * channel), and a first onRequest hook gives the instrumentation the route it matched.
 */
function nameServerSpansByRoute(): void {
  subscribe('fastify.initialization', (message) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRequest', (request, _reply, done) => {
      const route = request.routeOptions.url;
      if (route !== undefined) {
        const metadata = core.getRPCMetadata(context.active());
        if (metadata?.type === core.RPCType.HTTP) metadata.route = route;
      }
      done();
    });
  });
}

/**
 * Spans still buffered are exported before the process ends on SIGTERM or SIGINT. Nest's shutdown
 * hooks handle the signal first (close the app, then raise it again with their listener removed);
 * this listener does nothing while another one is there, and on the signal that comes back (or one
 * nobody else listens to) flushes for at most 5 s and raises it again itself.
 */
function flushBeforeExit(sdk: NodeSDK): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return;
      process.removeListener(signal, onSignal);
      const end = () => process.kill(process.pid, signal);
      const timer = setTimeout(end, 5_000);
      sdk.shutdown().then(
        () => {
          clearTimeout(timer);
          end();
        },
        () => undefined,
      );
    };
    process.on(signal, onSignal);
  }
}

/**
 * OpenTelemetry's own diagnostics as lines of the service's log, context `OpenTelemetry`: messages,
 * and errors' messages, never their objects or stacks. Through Nest's Logger (required on the first
 * line): the app's logger once it is in place, Nest's console logger before (a bad variable read at
 * start). Written outside any request: a failed export runs in the context of the request whose span
 * started the batch timer, and is not that request's.
 */
class ServiceDiagLogger implements DiagLogger {
  private readonly outside = new AsyncResource('OpenTelemetryDiagnostics');

  error = (message: string, ...args: unknown[]) => this.write('error', message, args);
  warn = (message: string, ...args: unknown[]) => this.write('warn', message, args);
  info = (message: string, ...args: unknown[]) => this.write('log', message, args);
  debug = (message: string, ...args: unknown[]) => this.write('debug', message, args);
  verbose = (message: string, ...args: unknown[]) => this.write('verbose', message, args);

  private write(level: 'error' | 'warn' | 'log' | 'debug' | 'verbose', message: string, args: unknown[]): void {
    const text = [message, ...args]
      .map(describeDiagnostic)
      .filter((part): part is string => Boolean(part))
      .join(' ');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Logger } = require('@nestjs/common') as typeof import('@nestjs/common');
    this.outside.runInAsyncScope(() => Logger[level](text, 'OpenTelemetry'));
  }
}

/**
 * One part of a diagnostic as text: a string as it is, except an exception the SDK stringified as
 * JSON (a failed export), which is its message; an Error its message; anything else nothing.
 */
function describeDiagnostic(part: unknown): string | undefined {
  if (part instanceof Error) return part.message;
  if (typeof part !== 'string') return undefined;
  if (!part.startsWith('{')) return part;
  try {
    const parsed = JSON.parse(part) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : 'error';
  } catch {
    return part;
  }
}
