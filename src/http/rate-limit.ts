import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { DomainError } from '../common/errors';
import { RESULT_PAGE_CSP, rateLimitedPage } from '../oauth/result-page';
import { sendError } from './all-exceptions.filter';

export const RATE_LIMIT_WINDOW_MS = 60_000;

/** The browser routes (/oauth/{provider}/authorize, /oauth/{provider}/callback), by matched route. */
export const isOAuthRoute = (routeUrl: string | undefined): boolean =>
  routeUrl !== undefined && routeUrl.toLowerCase().startsWith('/oauth/');

/** The hosted picker (/connect): a page of the same browser flow, counted with /oauth/*. */
const isPicker = (routeUrl: string | undefined) => routeUrl?.toLowerCase() === '/connect';

/** The observe channel's polls (GET and HEAD /connect/observe/{sessionId}; not the CORS preflight). */
const isObserve = (method: string, routeUrl: string | undefined) =>
  method !== 'OPTIONS' && routeUrl !== undefined && routeUrl.toLowerCase().startsWith('/connect/observe/');

export interface RateLimits {
  /** Per client and minute on /oauth/* and /connect; the same number, apart, on the observe channel; 0 = off. */
  oauthPerMinute: number;
  /** Per client and minute on POST /admin/sign-in, apart from /oauth/*'s count; 0 = off. */
  signInPerMinute: number;
  /** Per event subscription URL (its token), or per provider's app-level route, and minute; 0 = off. */
  eventsPerMinute: number;
}

/**
 * The limits on public routes (@fastify/rate-limit, in-memory per replica, fixed windows of a minute
 * from the first request):
 * - /oauth/* and the hosted picker (/connect) per client, keyed by `request.ip` (an IPv6 address by
 *   its /64), which is the socket's address unless TRUST_PROXY names the proxies in front; the
 *   console's sign-in per client, apart; the observe channel (/connect/observe/{id}) per client too,
 *   apart, with /oauth/*'s number: a browser waiting on a popup polls it a few times a minute, and a
 *   count per session would not bound a client trying many session ids.
 * - /events/{provider}/{token} per subscription (the token's SHA-256 is the key): a provider posts
 *   from many addresses, so the address would not bound a leaked URL, and one busy subscription does
 *   not starve the others. /events/{provider} (app-level, no secret in the URL) per provider and client.
 * The API and the probes are not limited. Over a limit: 429 `rate_limited` with Retry-After, an HTML
 * page for a browser, the JSON error shape otherwise.
 *
 * Registered after the security headers, so its answers carry them; the check runs in onRequest,
 * before the body is read and before anything touches the database.
 */
export function registerRateLimits(fastify: FastifyInstance, limits: RateLimits): void {
  const { oauthPerMinute, signInPerMinute, eventsPerMinute } = limits;
  if (oauthPerMinute <= 0 && signInPerMinute <= 0 && eventsPerMinute <= 0) return;
  void fastify.register(fastifyRateLimit, { global: false, timeWindow: RATE_LIMIT_WINDOW_MS });
  void fastify.after(() => {
    const oauth =
      oauthPerMinute > 0
        ? fastify.createRateLimit({ max: oauthPerMinute, keyGenerator: (request) => clientKey(request.ip) })
        : undefined;
    const signIn =
      signInPerMinute > 0
        ? fastify.createRateLimit({
            max: signInPerMinute,
            keyGenerator: (request) => `sign-in ${clientKey(request.ip)}`,
          })
        : undefined;
    const events =
      eventsPerMinute > 0 ? fastify.createRateLimit({ max: eventsPerMinute, keyGenerator: eventsKey }) : undefined;
    const observe =
      oauthPerMinute > 0
        ? fastify.createRateLimit({
            max: oauthPerMinute,
            keyGenerator: (request) => `observe ${clientKey(request.ip)}`,
          })
        : undefined;
    // A callback hook: every other route passes without a promise.
    fastify.addHook('onRequest', (request, reply, done) => {
      const url = request.routeOptions.url;
      const check =
        isOAuthRoute(url) || isPicker(url)
          ? oauth
          : isObserve(request.method, url)
            ? observe
            : isSignIn(request.method, url)
              ? signIn
              : isEventsRoute(request.method, url)
                ? events
                : undefined;
      if (!check) return done();
      check(request).then((result) => {
        if (result.isAllowed || !result.isExceeded) return done();
        // Answered here: the route is not run (no done()).
        tooManyRequests(request, reply, Math.max(1, result.ttlInSeconds));
      }, done);
    });
  });
}

const isEventsRoute = (method: string, routeUrl: string | undefined) =>
  method === 'POST' && routeUrl !== undefined && routeUrl.toLowerCase().startsWith('/events/');

/**
 * One count per subscription URL (its token's hash, never the token itself in memory). The app-level
 * route has no secret in its URL and is checked before the signature: counted per provider and client,
 * so unsigned floods from one network cannot use up the count of the provider's genuine deliveries.
 */
function eventsKey(request: FastifyRequest): string {
  const { provider = '', token } = request.params as { provider?: string; token?: string };
  return token === undefined
    ? `events app ${provider.toLowerCase().slice(0, 64)} ${clientKey(request.ip)}`
    : `events ${createHash('sha256').update(token).digest('base64url')}`;
}

/**
 * Who a client is for the limits: an IPv4 address as it is (an IPv4-mapped IPv6 address as its IPv4),
 * an IPv6 address by its /64, the smallest block a host is usually given: one host can use every
 * address in it, so counting addresses would let it through 2^64 times.
 */
export function clientKey(ip: string): string {
  if (!isIPv6(ip)) return ip;
  // The canonical spelling (RFC 5952, as the URL parser writes it): lower case, an IPv4 tail as two
  // groups, so every spelling of one address is one key.
  const address = new URL(`http://[${ip.replace(/%.*$/, '')}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped) {
    const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  const [head, tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).join(':')}::/64`;
}

const isSignIn = (method: string, routeUrl: string | undefined) =>
  method === 'POST' && routeUrl?.toLowerCase() === '/admin/sign-in';

function tooManyRequests(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  const retryAfter = String(retryAfterSeconds);
  if (wantsHtml(request)) {
    return reply
      .status(429)
      .header('Retry-After', retryAfter)
      .header('Cache-Control', 'no-store')
      .header('Content-Security-Policy', RESULT_PAGE_CSP)
      .type('text/html; charset=utf-8')
      .send(rateLimitedPage(retryAfterSeconds));
  }
  sendError(
    reply.header('Cache-Control', 'no-store'),
    new DomainError('rate_limited', 429, `Too many requests from this client; retry in ${retryAfterSeconds} s`, {
      'Retry-After': retryAfter,
    }),
    request.id,
  );
  return reply;
}

/** A browser navigating (Accept: text/html…) gets a page; API clients and tools the JSON shape. */
function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && /\btext\/html\b/i.test(accept);
}
