import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import { isColorSupported, prettyFactory, type MessageFormatFunc } from 'pino-pretty';
import { traceLogMixin } from '../telemetry/spans';

/** Field names whose values are secrets wherever they appear in a log object. */
const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'token',
  'clientSecret',
  'client_secret',
  'codeVerifier',
  'code_verifier',
  'authorizationCode',
  'authorization_code',
  'apiKey',
  'apiKeys',
  'api_key',
  'password',
  'secret',
  'key',
  'keys',
  'encryptionKeys',
];

const SECRETS = new Set(SECRET_FIELDS);
/** `code` and `state` are secrets in OAuth query strings and bodies; elsewhere `code` is an error code. */
const SECRET_UNDER: Record<string, Set<string>> = { query: new Set(['code', 'state']), body: new Set(['code']) };
const MAX_DEPTH = 4;

/** pino's own redaction, for the top level only: a fixed path list is cheap per log line. */
export const REDACT_PATHS = SECRET_FIELDS.map((f) => `["${f}"]`);

/**
 * The nested levels: one walk over plain objects and arrays, copying only what it changes. (pino's
 * wildcard paths cost a walk per path on every line; with ~100 of them, redaction was the largest
 * cost of request logging on the credentials hot path.)
 */
export function redactDeep(value: unknown, depth = 0, parentKey = ''): unknown {
  if (depth > MAX_DEPTH || !value || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    let copy: unknown[] | undefined;
    items.forEach((item, i) => {
      const next = redactDeep(item, depth + 1, parentKey);
      if (next !== item) (copy ??= [...items])[i] = next;
    });
    return copy ?? value;
  }
  // Plain objects only: requests, responses and errors have serializers of their own, and walking an
  // IncomingMessage would be slow and could trigger getters.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  const under = SECRET_UNDER[parentKey];
  for (const [key, item] of Object.entries(value)) {
    const next = SECRETS.has(key) || under?.has(key) ? '[redacted]' : redactDeep(item, depth + 1, key);
    if (next !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = next;
  }
  return copy ?? value;
}

/**
 * Errors are logged with type, message, code and stack only: a TypeORM QueryFailedError carries the
 * query parameters (which can include ciphertexts and user input), and other errors may carry the
 * request or response they came from.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!error || typeof error !== 'object') return { message: String(error) };
  // A plain object (stdSerializers.err output) or the Error itself.
  const source = (error instanceof Error ? stdSerializers.err(error) : error) as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const key of ['type', 'message', 'stack', 'code'] as const) {
    const value = source[key];
    if (typeof value === 'string') picked[key] = withoutQueries(value);
    else if (typeof value === 'number') picked[key] = value;
  }
  return picked;
}

/**
 * Query strings of URLs quoted in an error's text: framework messages quote the request URL (Fastify's
 * "Reply was already sent … in the "/oauth/keap/callback?code=…" route"), and a query may hold an OAuth
 * code, state or connect-session token.
 */
function withoutQueries(text: string): string {
  return text.includes('?') ? text.replace(/(\/[^\s'"?]*)\?[^\s'"]*/g, '$1?[redacted]') : text;
}

/** A provider-event URL's token segment: it is the proof of a delivery (Keap signs nothing). */
const EVENTS_TOKEN = /^(\/events\/[^/]*\/)[^/]+/i;

/**
 * Path of a request URL without its query string (which may carry ?code=, ?state=, ?session=), and
 * without the secret token of `/events/{provider}/{token}` (shown as `{token}`).
 */
export function pathOnly(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path.length > 8 && (path.charCodeAt(1) | 32) === 101 ? path.replace(EVENTS_TOKEN, '$1{token}') : path;
}

export interface RootLoggerOptions {
  /**
   * 'development': one readable line per event (prettyDestination); 'production' and 'test' (the default):
   * JSON lines, which log collectors and the tests parse.
   */
  nodeEnv?: 'development' | 'production' | 'test';
  /** Where the lines go (default stdout); tests pass a capturing stream. */
  stream?: DestinationStream;
}

/** The app's one pino logger: level, redaction and error serializer. Request loggers are children of it. */
export function createRootLogger(level: string, options: RootLoggerOptions = {}): Logger {
  const { nodeEnv = 'production', stream } = options;
  const destination =
    nodeEnv === 'development'
      ? prettyDestination(stream ?? pino.destination({ dest: 1, sync: true }), {
          // Colours for a terminal only: not in a file, a pipe or a test's capture.
          colorize: !stream && process.stdout.isTTY === true && isColorSupported,
        })
      : stream;
  // With tracing on (an OTLP endpoint, telemetry/bootstrap.ts): traceId and spanId of the active span.
  const mixin = traceLogMixin();
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { log: (object: Record<string, unknown>) => redactDeep(object) as Record<string, unknown> },
      serializers: { err: serializeError },
      ...(mixin && { mixin }),
    },
    destination,
  );
}

/**
 * A pino destination that turns each JSON line into one readable line (pino-pretty's formatter) and
 * writes it to `target`. pino has already serialized and redacted the line when it gets here, so
 * pretty output is as redacted as JSON output.
 *
 * In-process and synchronous on purpose: pino-pretty's formatter called on each line as pino writes it,
 * not pino-pretty as a worker-thread transport (`transport: { target: 'pino-pretty' }`) nor its stream
 * (`pretty()`, a split → transform → destination pipeline of Node streams). Each line is written before
 * the logging call returns, so lines stay in order with anything else written to stdout (main.ts's
 * start-up block), nothing is left in a buffer or a thread when the process exits, and any object with
 * `write` (a test's capture) can be the target.
 */
export function prettyDestination(target: DestinationStream, options: { colorize?: boolean } = {}): DestinationStream {
  const prettify = prettyFactory({
    colorize: options.colorize ?? false,
    // 12:00:01  INFO: …  (local time, level right-aligned so messages line up)
    translateTime: 'SYS:HH:MM:ss',
    customPrettifiers: {
      time: (time) => (typeof time === 'string' ? time : JSON.stringify(time)),
      // (the `label` pino-pretty passes is undefined without custom levels: the width comes from pino's names)
      level: (level, _key, _log, { labelColorized }) =>
        `${' '.repeat(Math.max(0, 5 - (pino.levels.labels[Number(level)] ?? '').length))}${labelColorized}`,
    },
    // The line itself is messageFormat's; of the rest only an error is shown (its stack under the line).
    messageFormat: formatEvent,
    include: 'level,time,err',
    errorLikeObjectKeys: ['err'],
    singleLine: true,
  });
  return {
    write: (line: string) => {
      const text = prettify(line);
      if (text) target.write(text);
    },
  };
}

/** Fields shown otherwise than as `key=value` (or not at all: pid and hostname are noise on a laptop). */
const SHOWN_APART = new Set([
  'level',
  'time',
  'msg',
  'pid',
  'hostname',
  'context',
  'req',
  'res',
  'responseTime',
  'err',
]);

/**
 * One event as one line: `GET /connections 200 3 ms req=<id>` for a request line, else
 * `[Context] message key=value … req=<id>` (the request id of the request being served, if any).
 */
const formatEvent: MessageFormatFunc = (log, messageKey, _levelLabel, { colors }) => {
  const req = (log.req ?? {}) as { id?: unknown; method?: unknown; path?: unknown };
  const res = log.res as { statusCode?: unknown } | undefined;
  const parts: string[] = [];
  if (res?.statusCode !== undefined && log.responseTime !== undefined) {
    parts.push(
      `${fieldValue(req.method)} ${fieldValue(req.path)} ${fieldValue(res.statusCode)} ${fieldValue(log.responseTime)} ms`,
    );
  } else {
    if (typeof log.context === 'string') parts.push(colors.gray(`[${log.context}]`));
    const message = oneLine(log[messageKey]);
    if (message) parts.push(message);
  }
  for (const [key, value] of Object.entries(log)) {
    if (!SHOWN_APART.has(key) && key !== messageKey && value !== undefined) {
      parts.push(colors.gray(`${key}=${fieldValue(value)}`));
    }
  }
  if (req.id !== undefined) parts.push(colors.gray(`req=${fieldValue(req.id)}`));
  return parts.join(' ');
};

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

/** A message as one line: line breaks and other control characters escaped (`\n`, `\u001b`). */
function oneLine(message: unknown): string {
  const text = typeof message === 'string' ? message : message === undefined ? '' : JSON.stringify(message);
  return text.replace(CONTROL_CHARS, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A field's value: a plain word as it is, other strings and objects as (one-line) JSON. */
function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value);
}

/**
 * The binding of one request's child logger, so every line logged while serving it says which request
 * it was: id, method and path (never the query string, which may carry ?code=, ?state=, ?session=).
 */
export function requestBinding(
  id: string,
  req: Pick<IncomingMessage, 'method' | 'url'>,
): { req: { id: string; method: string; path: string } } {
  return { req: { id, method: req.method ?? '', path: pathOnly(req.url) } };
}

/**
 * The request line, when the response is finished: info for 2xx/3xx, warn for 4xx, error for 5xx (the
 * error itself is logged by the exception filter, with its stack). Health probes every few seconds
 * would drown the log and are not logged.
 */
export function logRequest(log: Logger, url: string, statusCode: number, elapsedMs: number): void {
  if (url.startsWith('/health/')) return;
  const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
  if (!log.isLevelEnabled(level)) return;
  log[level](
    { res: { statusCode }, responseTime: Math.round(elapsedMs) },
    statusCode >= 500 ? 'request errored' : 'request completed',
  );
}

/**
 * The logger of the request being served (its child logger, see requestBinding), for everything logged
 * while serving it: the HTTP layer runs each request's handling inside it (http-adapter.ts).
 */
export const requestLogger = new AsyncLocalStorage<Logger>();

/** nestjs-pino's PinoLogger, writing to the logger of the request being served, else to the root logger. */
class RequestScopedPinoLogger extends PinoLogger {
  constructor(private readonly root: Logger) {
    super({ pinoHttp: { logger: root } });
  }

  override get logger(): Logger {
    return requestLogger.getStore() ?? this.root;
  }
}

/**
 * The app's Nest logger (what `new Logger('Context')` from @nestjs/common writes to): nestjs-pino's
 * mapping of Nest's calls onto pino (context field, `(object, message)` calls, errors as `err`), with
 * the request context above, set by a Fastify hook rather than nestjs-pino's middleware (which runs
 * through middie on every request; docs/http-layer.md).
 */
export function createNestLogger(root: Logger): LoggerService {
  return new NestPinoLogger(new RequestScopedPinoLogger(root), {});
}
