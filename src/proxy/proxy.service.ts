import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, Dispatcher, request } from 'undici';
import { backoffDelay } from '../common/backoff';
import { DomainError, ProviderNotConfigured } from '../common/errors';
import { MetricsService } from '../metrics/metrics.service';
import { OAuthProvider } from '../providers/core/provider';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { parseRetryAfter } from '../providers/core/provider-errors';
import { CredentialsService, UsableToken } from '../token-lifecycle/credentials.service';
import { VerificationService } from '../token-lifecycle/verification.service';
import { isPrivateAddress, publicOnlyLookup } from './private-addresses';
import { proxyConfig } from './proxy.config';
import { checkProxyPath, proxyTarget, upstreamRequestHeaders } from './proxy-target';

export interface ProxyCall {
  connectionId: string;
  method: string;
  /** The request's raw path after /proxy/{connectionId}, with its query string. */
  rest: string;
  headers: Record<string, string | string[] | undefined>;
  /** The request body as it came (buffered, so the call can be replayed), if any. */
  body: Buffer | undefined;
  requestId: string;
  /** Proxy-Retries: how often a 429 or 5xx (or a failed connection) of an idempotent call is retried. */
  retries: number;
  /** Aborted when the caller goes away. */
  signal: AbortSignal;
}

export interface ProxyAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The provider's body, streamed (or the bytes of a 401 kept while the token was renewed). */
  body: Dispatcher.ResponseData['body'] | Buffer;
}

/** Idempotent by method (RFC 9110 9.2.2), or made so by the caller's Idempotency-Key. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
/** Retries of one call wait at most this long in all. */
const RETRY_BUDGET_MS = 30_000;
/** A 401's body is kept (to be returned as it is if the renewed token fails too) up to this size. */
const KEPT_401_BYTES = 64 * 1024;

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ENOTFOUND', 'EAI_AGAIN']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const unreachable = () => new DomainError('provider_unavailable', 502, "The provider's API could not be reached");
const notAllowed = () =>
  new DomainError(
    'proxy_target_not_allowed',
    502,
    "The provider's API address is a loopback, private or link-local address, which this service does not call",
  );
const timedOut = () => new DomainError('upstream_timeout', 504, "The provider's API did not answer in time");

/**
 * Calls a provider's API for a connection: the connection's API base + the caller's path and query,
 * with its access token (never seen by the caller). On a 401 the token is renewed once (the same
 * single-flight refresh and cross-replica lease as every refresh, so concurrent 401s cause one
 * refresh) and the call replayed; a connection without a refresh token is verified instead (a failed
 * verify marks it needs_reauth). 429 and 5xx come back as they are unless the caller asked for
 * retries. Built on undici; no redirect is followed.
 */
@Injectable()
export class ProxyService implements OnApplicationShutdown {
  private readonly logger = new Logger('Proxy');
  private readonly open: Agent;
  private readonly guarded: Agent;
  /** Per provider: whether its configured API base is itself on a private address (then it may be called). */
  private readonly privateBases = new Map<string, Promise<boolean>>();

  constructor(
    private readonly credentials: CredentialsService,
    private readonly verification: VerificationService,
    private readonly catalog: ProviderCatalog,
    private readonly metrics: MetricsService,
    @Inject(proxyConfig.KEY) private readonly config: ConfigType<typeof proxyConfig>,
  ) {
    const timeouts = {
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
      connectTimeout: Math.min(10_000, config.timeoutMs),
    };
    this.open = new Agent(timeouts);
    this.guarded = new Agent({ ...timeouts, connect: { lookup: publicOnlyLookup } });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.open.close(), this.guarded.close()]);
  }

  async forward(call: ProxyCall): Promise<ProxyAnswer> {
    const startedAt = new Date();
    checkProxyPath(call.rest);
    let token = await this.credentials.usableToken(call.connectionId, false, startedAt);
    const provider = this.catalog.find(token.connection.provider);
    if (!provider) throw new ProviderNotConfigured(token.connection.provider);
    const target = proxyTarget(provider.apiBaseFor(token.connection.apiBaseUrl), call.rest);
    const dispatcher = await this.dispatcherFor(provider, target);
    const retryable = IDEMPOTENT.has(call.method) || call.headers['idempotency-key'] !== undefined;
    const outcome = { attempts: 0, renewed: false, status: 0 };
    let waited = 0;
    try {
      for (;;) {
        outcome.attempts++;
        let response: Dispatcher.ResponseData;
        try {
          response = await request(target, {
            method: call.method,
            headers: this.headersFor(call, token),
            body: call.body,
            dispatcher,
            signal: call.signal,
          });
        } catch (error) {
          const failure = classify(error);
          const delay = retryable && outcome.attempts <= call.retries ? backoffDelay(outcome.attempts, 250, 5000) : -1;
          if (failure === 'unreachable' && delay >= 0 && waited + delay <= RETRY_BUDGET_MS) {
            waited += delay;
            await sleep(delay, undefined, { signal: call.signal });
            continue;
          }
          throw failure === 'timeout' ? timedOut() : failure === 'private' ? notAllowed() : unreachable();
        }
        outcome.status = response.statusCode;
        if (response.statusCode === 401 && !outcome.renewed) {
          outcome.renewed = true;
          const kept = await keep(response.body, KEPT_401_BYTES);
          if (token.connection.hasRefreshToken) {
            // Satisfied by any refresh that finished after this call began (another 401's, the sweep's).
            token = await this.credentials.usableToken(call.connectionId, true, startedAt);
            continue;
          }
          // A token that does not expire: ask the provider whether it still takes it at all.
          await this.verification.verifyById(call.connectionId).catch(() => undefined);
          return { status: 401, headers: response.headers, body: kept };
        }
        if (
          (response.statusCode === 429 || response.statusCode >= 500) &&
          retryable &&
          outcome.attempts <= call.retries
        ) {
          const retryAfter = parseRetryAfter(header(response.headers['retry-after']) ?? null);
          const delay = backoffDelay(outcome.attempts, 250, RETRY_BUDGET_MS, retryAfter);
          if (waited + delay <= RETRY_BUDGET_MS) {
            await response.body.dump();
            waited += delay;
            await sleep(delay, undefined, { signal: call.signal });
            continue;
          }
        }
        return { status: response.statusCode, headers: response.headers, body: response.body };
      }
    } finally {
      const elapsedMs = Date.now() - startedAt.getTime();
      this.metrics.observeProxyCall(provider.name, outcome.status, elapsedMs);
      this.logger.log(
        {
          proxy: {
            method: call.method,
            provider: provider.name,
            connectionId: call.connectionId,
            path: target.pathname,
            status: outcome.status || null,
            attempts: outcome.attempts,
            renewedToken: outcome.renewed,
            durationMs: elapsedMs,
          },
        },
        'proxy call',
      );
    }
  }

  private headersFor(call: ProxyCall, token: UsableToken): Record<string, string | string[]> {
    return {
      ...upstreamRequestHeaders(call.headers),
      authorization: `${token.connection.tokenType} ${token.accessToken}`,
      'x-request-id': call.requestId,
    };
  }

  /**
   * Outside production, any address. In production, a target on a private address is refused: an IP
   * literal here, a name when its socket connects (publicOnlyLookup), unless the provider's configured
   * API base is itself on a private address (a provider run inside the same network).
   */
  private async dispatcherFor(provider: OAuthProvider, target: URL): Promise<Agent> {
    if (!this.config.guardPrivateAddresses) return this.open;
    if (await this.privateBase(provider)) return this.open;
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isPrivateAddress(host)) throw notAllowed();
    return this.guarded;
  }

  private privateBase(provider: OAuthProvider): Promise<boolean> {
    let known = this.privateBases.get(provider.name);
    if (!known) {
      const host = new URL(provider.settings.apiBaseUrl).hostname.replace(/^\[|\]$/g, '');
      known = isIP(host)
        ? Promise.resolve(isPrivateAddress(host))
        : lookup(host, { all: true }).then(
            (addresses) => addresses.length > 0 && addresses.every((a) => isPrivateAddress(a.address)),
            () => false,
          );
      this.privateBases.set(provider.name, known);
    }
    return known;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** What went wrong with a call that got no answer: only `unreachable` (no connection made) is worth a retry. */
function classify(error: unknown): 'timeout' | 'private' | 'unreachable' | 'failed' {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? '';
  if (code === 'EPRIVATEADDRESS') return 'private';
  if (TIMEOUTS.has(code)) return 'timeout';
  return CONNECT_ERRORS.has(code) ? 'unreachable' : 'failed';
}

/** The first `max` bytes of a body (the rest read and dropped). */
async function keep(body: Dispatcher.ResponseData['body'], max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size < max) chunks.push(chunk.subarray(0, max - size));
    size += chunk.length;
  }
  return Buffer.concat(chunks);
}
