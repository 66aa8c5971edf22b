import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
// Not re-exported by the package index; nestjs-pino is pinned exactly in package.json for this.
import { storage, Store } from 'nestjs-pino/storage';
import { ApiKeys } from '../auth/api-keys';
import { sendError, sendJson } from '../common/all-exceptions.filter';
import { httpLoggerOptions } from '../common/logging';
import { ROOT_LOGGER } from '../common/logging.module';
import { assignRequestId } from '../common/request-id';
import { UuidParam } from '../common/validation';
import { MetricsService } from '../metrics/metrics.service';
import { CredentialsService } from './credentials.service';
import { refreshConfig } from './refresh.config';

/** The route as Express names it (the `route` label of http_request_duration_seconds). */
const CREDENTIALS_ROUTE = '/connections/:id/credentials';
const PATH = /^\/connections\/([^/?#]+)\/credentials(?:\?(.*))?$/;
/** The query strings served here, exactly; anything else (unknown or repeated parameters, …) goes to Express. */
const FORCE = new Map<string | undefined, boolean>([
  [undefined, false],
  ['', false],
  ['forceRefresh=false', false],
  ['forceRefresh=true', true],
]);

/**
 * `GET /connections/{id}/credentials` is the hot path: a product's backend asks for credentials before
 * nearly every provider call. Express's router, Nest's pipeline and the request-logging middleware cost
 * about 170 µs of CPU per request on top of the ~70 µs the work itself needs (measured with
 * `npm run bench`), so well-formed, authorized requests for this route are answered here, on the HTTP
 * server, before Express.
 *
 * Only requests this code answers exactly as the Nest route would are taken: GET, the exact path with
 * an id the route's own UUID pipe accepts, no query or exactly `forceRefresh=true|false`, a valid API
 * key, no request body. Everything else (a bad id, a bad or missing key, other parameters, a body,
 * HEAD, a trailing slash) goes to Express, where LifecycleController#getCredentials and the guard,
 * pipes and filter answer it. Both
 * call CredentialsService; the response (body, status, headers, error shape), the request log line
 * (same pino-http options, same root logger), the request id and the metrics are the same. The e2e
 * suite runs against both (CREDENTIALS_FAST_PATH=false turns this off).
 */
@Injectable()
export class CredentialsFastPath {
  private readonly httpLogger: HttpLogger;

  constructor(
    private readonly apiKeys: ApiKeys,
    private readonly credentials: CredentialsService,
    private readonly metrics: MetricsService,
    @Inject(ROOT_LOGGER) logger: Logger,
    @Inject(refreshConfig.KEY) private readonly config: ConfigType<typeof refreshConfig>,
  ) {
    this.httpLogger = pinoHttp(httpLoggerOptions(logger));
  }

  /** Puts the fast path in front of `fallback` (the Express app) on `server`; a no-op when turned off. */
  install(server: Server, fallback: RequestListener): void {
    if (!this.config.credentialsFastPath) return;
    if (!server.listeners('request').includes(fallback)) throw new Error('CredentialsFastPath: the HTTP server does not dispatch to the given app');
    server.removeListener('request', fallback);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.tryServe(req, res)) fallback(req, res);
    });
  }

  /** Serves the request and returns true, or returns false without touching it. */
  tryServe(req: IncomingMessage, res: ServerResponse): boolean {
    // A GET with a body is Express's (its body parser answers a malformed or oversized one).
    const length = req.headers['content-length'];
    if (req.method !== 'GET' || (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) return false;
    const match = PATH.exec(req.url ?? '');
    if (!match) return false;
    const force = FORCE.get(match[2]);
    const id = match[1];
    if (force === undefined || !UuidParam.accepts(id) || !this.apiKeys.accepts(req.headers.authorization)) return false;

    const requestId = assignRequestId(req, res);
    try {
      this.httpLogger(req, res);
      this.metrics.timeRequest(res, 'GET', () => CREDENTIALS_ROUTE);
      res.setHeader('Cache-Control', 'no-store');
      // nestjs-pino's request context, as its middleware sets it for Express routes: what the service
      // logs while serving this request carries the request id and goes to this app's logger.
      storage.run(new Store(req.log), () =>
        this.credentials
          .credentials(id, force)
          .then((body) => sendJson(res, 200, body))
          .catch((error: unknown) => this.fail(res, error, requestId)),
      );
    } catch (error) {
      this.fail(res, error, requestId);
    }
    return true;
  }

  private fail(res: ServerResponse, error: unknown, requestId: string): void {
    try {
      sendError(res, error, requestId);
    } catch {
      res.destroy();
    }
  }
}
