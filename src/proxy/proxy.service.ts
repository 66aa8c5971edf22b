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

const USER_AGENT = 'oauth-connections-proxy/0.1';

/** Idempotent by method (RFC 9110 9.2.2), or made so by the caller's Idempotency-Key. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
/** Retries of one call wait at most this long in all. */
const RETRY_BUDGET_MS = 30_000;
/** How long the answer to "is this provider's configured API base on a private address" is kept. */
const PRIVATE_BASE_TTL_MS = 5 * 60_000;
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
 * refresh) and the call replayed; a connection without a refresh token is verified instead (a failed
 * verify marks it needs_reauth). 429 and 5xx come back as they are unless the caller asked for
 * retries. Built on undici; no redirect is followed.
 */
@Injectable()
export class ProxyService implements OnApplicationShutdown {
  private readonly logger = new Logger('Proxy');
  private readonly open: Agent;
  private readonly guarded: Agent;
  /** Whoami checks in flight, by connection (verifyOnce). */
  private readonly verifying = new Map<string, Promise<unknown>>();
  /**
   * Per provider: whether its configured API base is itself on a private address (then it may be
   * called). A DNS answer is re-asked after PRIVATE_BASE_TTL_MS.
   */
  private readonly privateBases = new Map<string, { answer: Promise<boolean>; until: number }>();

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
    const outcome = { attempts: 0, renewed: false, status: 0, provider: '', path: '', refused: '' };
    try {
      return await this.call(call, startedAt, outcome);
    } catch (error) {
      if (error instanceof DomainError) outcome.refused = error.code;
      throw error;
    } finally {
      // Every call, refused ones included (a bad path, a connection that needs its user, a private address).
      const elapsedMs = Date.now() - startedAt.getTime();
      this.metrics.observeProxyCall(outcome.provider || 'unknown', outcome.status, elapsedMs);
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
            durationMs: elapsedMs,
          },
        },
        'proxy call',
      );
    }
  }

  private async call(
    call: ProxyCall,
    startedAt: Date,
    outcome: { attempts: number; renewed: boolean; status: number; provider: string; path: string },
  ): Promise<ProxyAnswer> {
    checkProxyPath(call.rest);
    let token = await this.credentials.usableToken(call.connectionId, false, startedAt);
    outcome.provider = token.connection.provider;
    const provider = this.catalog.find(token.connection.provider);
    if (!provider) throw new ProviderNotConfigured(token.connection.provider);
    const target = proxyTarget(provider.apiBaseFor(token.connection.apiBaseUrl), call.rest);
    outcome.path = target.pathname;
    const dispatcher = await this.dispatcherFor(provider, target);
    const retryable = IDEMPOTENT.has(call.method) || call.headers['idempotency-key'] !== undefined;
    let waited = 0;
    const pause = async (ms: number) => {
      waited += ms;
      await sleep(ms, undefined, { signal: call.signal }).catch(() => {
        throw aborted();
      });
    };
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
      if (response.statusCode === 401 && !outcome.renewed) {
        outcome.renewed = true;
        const kept = await keep(response.body, KEPT_401_BYTES).catch((error: unknown) => {
          if (call.signal.aborted) throw aborted();
          throw classify(error) === 'timeout' ? timedOut() : unreachable();
        });
        if (token.connection.hasRefreshToken) {
          // Satisfied by any refresh that finished after this call began (another 401's, the sweep's); a
          // refresh that fails is an error here, never the token that was just refused.
          token = await this.credentials.usableToken(call.connectionId, true, startedAt, true);
          continue;
        }
        // A token that does not expire: ask the provider whether it still takes it at all (one whoami
        // call for all the 401s of a connection that arrive meanwhile).
        await this.verifyOnce(call.connectionId);
        const headers = { ...response.headers };
        if (!kept.complete) {
          // Cut short: its length and encoding no longer describe it.
          delete headers['content-length'];
          delete headers['content-encoding'];
        }
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
      return { status: response.statusCode, headers: response.headers, body: response.body };
    }
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
    return {
      // Some APIs refuse a call without one (ClickFunnels 2.0): the service's own, unless the caller sent one.
      'user-agent': USER_AGENT,
      ...upstreamRequestHeaders(call.headers),
      // RFC 6750: the scheme is Bearer whatever token_type the provider's answer spelled.
      authorization: `Bearer ${token.accessToken}`,
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
    // Only the configured host itself: not, say, a ClickFunnels workspace host a connection brought.
    const configuredHost = new URL(provider.settings.apiBaseUrl).hostname;
    if (target.hostname === configuredHost && (await this.privateBase(provider))) return this.open;
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isPrivateAddress(host)) throw notAllowed();
    return this.guarded;
  }

  private privateBase(provider: OAuthProvider): Promise<boolean> {
    let known = this.privateBases.get(provider.name);
    if (!known || known.until < Date.now()) {
      const host = new URL(provider.settings.apiBaseUrl).hostname.replace(/^\[|\]$/g, '');
      const answer = isIP(host)
        ? Promise.resolve(isPrivateAddress(host))
        : lookup(host, { all: true }).then(
            (addresses) => addresses.length > 0 && addresses.every((a) => isPrivateAddress(a.address)),
            () => false,
          );
      this.privateBases.set(provider.name, (known = { answer, until: Date.now() + PRIVATE_BASE_TTL_MS }));
    }
    return known.answer;
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
