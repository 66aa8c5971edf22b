import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { stdSerializers, type DestinationStream } from 'pino';
import { assignRequestId } from './request-id';

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

/** pino's redact paths: each secret field at the top level and up to three levels deep. */
export const REDACT_PATHS = [
  ...SECRET_FIELDS.flatMap((f) => [`["${f}"]`, `*["${f}"]`, `*.*["${f}"]`, `*.*.*["${f}"]`]),
  // `code` is a secret in OAuth query strings and bodies, but elsewhere it is an error code.
  '*.query.code',
  '*.body.code',
  '*.query.state',
];

/**
 * Errors are logged with type, message, code and stack only: a TypeORM QueryFailedError carries the
 * query parameters (which can include ciphertexts and user input), and other errors may carry the
 * request or response they came from.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!error || typeof error !== 'object') return { message: String(error) };
  // pino-http hands over stdSerializers.err output (a plain object); the app logger the Error itself.
  const source = (error instanceof Error ? stdSerializers.err(error) : error) as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const key of ['type', 'message', 'stack', 'code'] as const) {
    const value = source[key];
    if (typeof value === 'string' || typeof value === 'number') picked[key] = value;
  }
  return picked;
}

/** Path of a request URL without its query string (which may carry ?code=, ?state=, ?session=). */
export function pathOnly(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function pinoParams(level: string, stream?: DestinationStream): Params {
  return {
    pinoHttp: {
      level,
      stream,
      genReqId: (req: IncomingMessage, res: ServerResponse) => assignRequestId(req, res),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Requests are logged by method and path only: no headers, no query string, no body.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: pathOnly(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: serializeError,
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      // Health probes every few seconds would drown the log.
      autoLogging: { ignore: (req) => pathOnly(req.url).startsWith('/health/') },
    },
  };
}
