import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, Dispatcher } from 'undici';
import { ConnectionActivity } from '../activity/connection-activity';
import { backoffDelay } from '../common/backoff';
import { DomainError, ProviderNotConfigured } from '../common/errors';
import { requestLogger } from '../common/logging';
import { MetricsService } from '../metrics/metrics.service';
import { OAuthProvider } from '../providers/core/provider';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { parseRetryAfter } from '../providers/core/provider-errors';
import { CredentialsService, UsableToken } from '../token-lifecycle/credentials.service';
import { VerificationService } from '../token-lifecycle/verification.service';
import { isPrivateAddress, publicOnlyLookup } from './private-addresses';
import { proxyConfig } from './proxy.config';
import { traceProxyCall } from '../telemetry/spans';
import { apiHost, checkProxyPath, proxyRequestTarget, RequestTarget, upstreamRequestHeaders } from './proxy-target';
import { ProxyTokenCache } from './proxy-token-cache';

/**
 * Aborted when the caller goes away. An EventEmitter, which undici takes as a call's signal: cheaper
 * per call than an AbortController and its AbortSignal (an EventTarget), of which a call needs one only
 * to stop waiting between retries.
 */
export class CallerSignal extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

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
  /** Aborted when the caller goes away (a CallerSignal on the proxy's routes; an AbortSignal does too). */
  signal: CallerSignal | AbortSignal;
}

export interface ProxyAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The provider's body, streamed (or the bytes of a 401 kept while the token was renewed). */
  body: Dispatcher.ResponseData['body'] | Buffer;
}

const USER_AGENT = 'oauth-connections-proxy/0.1';

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
/** The caller went away: nobody reads this answer (499, as proxies log it). */
const aborted = () => new DomainError('request_aborted', 499, 'The caller closed the connection');

/**
 * Calls a provider's API for a connection: the connection's API base + the caller's path and query,
 * with its access token (never seen by the caller). On a 401 the token is renewed once (the same
 * single-flight refresh and cross-replica lease as every refresh, so concurrent 401s cause one
 * refresh), at most once per PROXY_RENEW_MIN_INTERVAL_SECONDS per connection, and the call replayed; a
 * connection without a refresh token is verified instead (a failed verify marks it needs_reauth). 429
 * and 5xx come back as they are unless the caller asked for retries. Built on undici; no redirect is
 * followed.
 */
@Injectable()
export class ProxyService implements OnApplicationShutdown {
  private readonly logger = new Logger('Proxy');
  private readonly open: Agent;
  private readonly guarded: Agent;
  /** Whoami checks in flight, by connection (verifyOnce). */
  private readonly verifying = new Map<string, Promise<unknown>>();
  /** Each connection's token for PROXY_TOKEN_CACHE_MS after it was read (proxy-token-cache.ts). */
  private readonly tokens: ProxyTokenCache;
  private readonly sweeper?: NodeJS.Timeout;

  constructor(
    private readonly credentials: CredentialsService,
    private readonly verification: VerificationService,
    private readonly catalog: ProviderCatalog,
    private readonly metrics: MetricsService,
    @Inject(proxyConfig.KEY) private readonly config: ConfigType<typeof proxyConfig>,
    // The connection's activity: calls per hour by the provider's status class (in memory, flushed every few seconds).
    @Optional() private readonly activity?: ConnectionActivity,
  ) {
    const timeouts = {
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
      connectTimeout: Math.min(10_000, config.timeoutMs),
    };
    // One keep-alive connection pool per origin in each (undici's Agent).
    this.open = new Agent(timeouts);
    this.guarded = new Agent({ ...timeouts, connect: { lookup: publicOnlyLookup } });
    this.tokens = new ProxyTokenCache({ ttlMs: config.tokenCacheMs, skewMs: config.credentialsSkewMs });
    // Tokens that ran out are dropped from memory within another PROXY_TOKEN_CACHE_MS.
    if (this.tokens.enabled) this.sweeper = setInterval(() => this.tokens.sweep(), config.tokenCacheMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    this.tokens.clear();
    await Promise.all([this.open.close(), this.guarded.close()]);
  }

  async forward(call: ProxyCall): Promise<ProxyAnswer> {
    const startedAt = new Date();
    const outcome: Outcome = {
      attempts: 0,
      renewed: false,
      renewWithheld: false,
      status: 0,
      provider: '',
      path: '',
      refused: '',
    };
    try {
      return await traceProxyCall(call, outcome, () => this.call(call, startedAt, outcome));
    } catch (error) {
      if (error instanceof DomainError) outcome.refused = error.code;
      throw error;
    } finally {
      // Every call, refused ones included (a bad path, a connection that needs its user, a private address).
      const elapsedMs = Date.now() - startedAt.getTime();
      this.metrics.observeProxyCall(outcome.provider || 'unknown', outcome.status, elapsedMs);
      this.activity?.countProxyCall(call.connectionId, outcome.status);
      // The line is an info one: not even made when the request's logger would drop it (LOG_LEVEL=warn).
      if (requestLogger.getStore()?.isLevelEnabled('info') !== false)
        this.logger.log(
          {
            proxy: {
              method: call.method,
              provider: outcome.provider || null,
              connectionId: call.connectionId,
              path: outcome.path || null,
              status: outcome.status || null,
              ...(outcome.refused && { refused: outcome.refused }),
              attempts: outcome.attempts,
              renewedToken: outcome.renewed,
              ...(outcome.renewWithheld && { renewWithheld: true }),
              durationMs: elapsedMs,
            },
          },
          'proxy call',
        );
    }
  }

  private async call(call: ProxyCall, startedAt: Date, outcome: Outcome): Promise<ProxyAnswer> {
    const checked = checkProxyPath(call.rest);
    let token = this.tokens.get(call.connectionId) ?? (await this.readToken(call.connectionId, startedAt));
    outcome.provider = token.connection.provider;
    const provider = this.catalog.find(token.connection.provider);
    if (!provider) throw new ProviderNotConfigured(token.connection.provider);
    const target = proxyRequestTarget(provider.apiBaseFor(token.connection.apiBaseUrl), call.rest, checked);
    outcome.path = target.pathname;
    const dispatcher = this.dispatcherFor(provider, target);
    const retryable = IDEMPOTENT.has(call.method) || call.headers['idempotency-key'] !== undefined;
    let waited = 0;
    let answered401 = false;
    const pause = async (ms: number) => {
      waited += ms;
      const { signal } = call;
      if (signal.aborted) throw aborted();
      // node:timers/promises takes an AbortSignal only: one is made for a CallerSignal's wait.
      const timer = signal instanceof CallerSignal ? new AbortController() : undefined;
      const stop = () => timer?.abort();
      if (signal instanceof CallerSignal) signal.once('abort', stop);
      try {
        await sleep(ms, undefined, { signal: timer?.signal ?? (signal as AbortSignal) });
      } catch {
        throw aborted();
      } finally {
        if (signal instanceof CallerSignal) signal.removeListener('abort', stop);
      }
    };
    for (;;) {
      outcome.attempts++;
      let response: Dispatcher.ResponseData;
      try {
        response = await dispatcher.request({
          origin: target.origin,
          path: target.path,
          method: call.method,
          headers: this.headersFor(call, token),
          body: call.body,
          signal: call.signal,
        });
      } catch (error) {
        if (call.signal.aborted) throw aborted();
        const failure = classify(error);
        const delay = retryable && outcome.attempts <= call.retries ? backoffDelay(outcome.attempts, 250, 5000) : -1;
        if (failure === 'unreachable' && delay >= 0 && waited + delay <= RETRY_BUDGET_MS) {
          await pause(delay);
          continue;
        }
        throw failure === 'timeout' ? timedOut() : failure === 'private' ? notAllowed() : unreachable();
      }
      outcome.status = response.statusCode;
      if (response.statusCode === 401 && !answered401) {
        answered401 = true;
        const kept = await keep(response.body, KEPT_401_BYTES).catch((error: unknown) => {
          if (call.signal.aborted) throw aborted();
          throw classify(error) === 'timeout' ? timedOut() : unreachable();
        });
        const renewed = await this.renewAfter401(call.connectionId, token, startedAt, outcome);
        if (renewed) {
          outcome.renewed = true;
          token = renewed;
          continue;
        }
        const headers = { ...response.headers };
        if (!kept.complete) {
          // Cut short: its length and encoding no longer describe it.
          delete headers['content-length'];
          delete headers['content-encoding'];
        }
        // The refused token is not used from memory again: the next call reads the connection.
        this.tokens.delete(call.connectionId);
        return { status: 401, headers, body: kept.bytes };
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
          await pause(delay);
          continue;
        }
      }
      // A second 401 (after a renewal) goes back as it is; its token is not used from memory again either.
      if (response.statusCode === 401) this.tokens.delete(call.connectionId);
      return { status: response.statusCode, headers: response.headers, body: response.body };
    }
  }

  /** The connection's usable token, read (and refreshed if due) as credentials are, and kept for the next calls. */
  private async readToken(connectionId: string, startedAt: Date): Promise<UsableToken> {
    const readStartedAt = this.tokens.readStarted();
    const token = await this.credentials.usableToken(connectionId, false, startedAt);
    this.tokens.set(connectionId, token, readStartedAt);
    return token;
  }

  /**
   * After the provider refused `refused`: the token to replay the call with, or undefined when the 401
   * goes back as it is. In order:
   * - a token stored since this call read its own (a refresh or a reconnect that finished meanwhile) is
   *   used as it is, without a refresh;
   * - a connection whose stored token was renewed within PROXY_RENEW_MIN_INTERVAL_SECONDS (by anyone:
   *   this proxy on any replica, the sweep, a forced refresh), but before this call began, is not
   *   renewed again: the 401 goes back. Decided on the row in Postgres, so it holds for the whole
   *   fleet, and checked again under the refresh lease: a proxy key cannot drain the provider's refresh
   *   budget by collecting 401s;
   * - otherwise one refresh (the single-flight, leased refresh every path shares), satisfied by any
   *   refresh that finished after this call began or within the window. A refresh that fails is an
   *   error here, never the token that was just refused.
   * A connection without a refresh token is verified instead (one whoami call for all the 401s of a
   * connection that arrive meanwhile on this replica), and its 401 goes back.
   */
  private async renewAfter401(
    connectionId: string,
    refused: UsableToken,
    startedAt: Date,
    outcome: Outcome,
  ): Promise<UsableToken | undefined> {
    const currentReadAt = this.tokens.readStarted();
    const current = await this.credentials.usableToken(connectionId, false, startedAt);
    if (current.accessToken !== refused.accessToken) {
      this.tokens.set(connectionId, current, currentReadAt);
      return current;
    }
    if (!current.connection.hasRefreshToken) {
      await this.verifyOnce(connectionId);
      return undefined;
    }
    // Renewed since `since`: after this call began, or within the window.
    const since = new Date(Math.min(startedAt.getTime(), Date.now() - this.config.renewMinIntervalMs));
    const renewedAt = current.connection.lastRefreshedAt;
    if (renewedAt && renewedAt.getTime() >= since.getTime()) {
      outcome.renewWithheld = true;
      return undefined;
    }
    // Only the tokens this call sent are renewed (their version); newer ones are replayed as they are.
    const renewedReadAt = this.tokens.readStarted();
    const renewed = await this.credentials.usableToken(
      connectionId,
      true,
      since,
      true,
      String(refused.connection.tokenVersion),
    );
    if (renewed.accessToken !== refused.accessToken) {
      this.tokens.set(connectionId, renewed, renewedReadAt);
      return renewed;
    }
    // Another replica renewed it within the window while this one waited for the lease.
    outcome.renewWithheld = true;
    return undefined;
  }

  /** The whoami check of a connection, shared by the calls that need it at the same time (on this replica). */
  private verifyOnce(connectionId: string): Promise<unknown> {
    let running = this.verifying.get(connectionId);
    if (!running) {
      running = this.verification
        .verifyById(connectionId)
        .catch(() => undefined)
        .finally(() => this.verifying.delete(connectionId));
      this.verifying.set(connectionId, running);
    }
    return running;
  }

  private headersFor(call: ProxyCall, token: UsableToken): Record<string, string | string[]> {
    // Some APIs refuse a call without one (ClickFunnels 2.0): the service's own, unless the caller sent one.
    const headers = upstreamRequestHeaders(call.headers, { 'user-agent': USER_AGENT });
    // RFC 6750: the scheme is Bearer whatever token_type the provider's answer spelled.
    headers.authorization = `Bearer ${token.accessToken}`;
    headers['x-request-id'] = call.requestId;
    return headers;
  }

  /**
   * Outside production, any address. In production, a target on a private address is refused: an IP
   * literal here, a name when its socket connects (publicOnlyLookup), unless it is the provider's
   * configured API host and the operator allowed that host with `<P>_ALLOW_PRIVATE_API_HOST=true` (a
   * provider run inside the same network). Decided by configuration alone, never by a DNS answer.
   */
  private dispatcherFor(provider: OAuthProvider, target: RequestTarget): Agent {
    if (!this.config.guardPrivateAddresses) return this.open;
    // Only the configured host itself: not, say, a ClickFunnels workspace host a connection brought.
    if (provider.settings.allowPrivateApiHost === true && target.host === apiHost(provider.settings.apiBaseUrl))
      return this.open;
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isPrivateAddress(host)) throw notAllowed();
    return this.guarded;
  }
}

interface Outcome {
  attempts: number;
  /** The call was replayed with another token than the one the provider refused. */
  renewed: boolean;
  /** A 401 went back without a renewal: the token was renewed within PROXY_RENEW_MIN_INTERVAL_SECONDS. */
  renewWithheld: boolean;
  status: number;
  provider: string;
  path: string;
  refused: string;
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

/** The first `max` bytes of a body (the rest read and dropped), and whether that was all of it. */
async function keep(body: Dispatcher.ResponseData['body'], max: number): Promise<{ bytes: Buffer; complete: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size < max) chunks.push(chunk.subarray(0, max - size));
    size += chunk.length;
  }
  return { bytes: Buffer.concat(chunks), complete: size <= max };
}
