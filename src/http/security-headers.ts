import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** Where SwaggerModule serves the API reference (app.setup.ts): its page needs its own scripts and styles. */
export const DOCS_PATH = '/docs';

type Directives = Record<string, string[]>;
/** Header name (lower case, as Fastify keeps them) → value. */
export type HeaderSet = Readonly<Record<string, string>>;

/**
 * Every answer but the API reference: JSON, redirects, text. Nothing may load, nothing may frame it.
 * (HTML pages of the service set their own policy, which replaces this one: see withFrameAncestors.)
 */
const DEFAULT_DIRECTIVES: Directives = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * The Swagger UI page @nestjs/swagger serves (its index.html): external scripts and a stylesheet from
 * /docs (swagger-ui-bundle.js, swagger-ui-standalone-preset.js, swagger-ui-init.js, swagger-ui.css,
 * favicons), inline <style> blocks and style attributes, data: images in the CSS, and "Try it out"
 * calling the API on this origin. No inline script, no eval, no fonts of its own.
 */
const DOCS_DIRECTIVES: Directives = {
  ...DEFAULT_DIRECTIVES,
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
};

/** The operator console (src/console): scripts and styles from /admin/assets only, never inline. */
const CONSOLE_DIRECTIVES: Directives = {
  ...DEFAULT_DIRECTIVES,
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'connect-src': ["'self'"],
};

/** What every answer carries: helmet's defaults, made stricter where the service has no use for them. */
export function securityHeaderOptions(publicUrl: string): HelmetOptions {
  return {
    contentSecurityPolicy: { useDefaults: false, directives: DEFAULT_DIRECTIVES },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Only where browsers reach the service over https: HSTS over http is ignored, and on a local
    // http PUBLIC_URL it would only get in the way.
    strictTransportSecurity: publicUrl.startsWith('https:') ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  };
}

/** /oauth/*, /connect and /connect/*: the pages of a browser flow (and its observe channel). */
export const isConnectPage = (path: string) =>
  path.startsWith('/oauth/') || path === '/connect' || path.startsWith('/connect/');

/** Per-route differences from securityHeaderOptions, by route pattern (undefined: unknown route). */
function routeOptionsFor(routeUrl: string | undefined): HelmetOptions {
  const path = routeUrl?.toLowerCase() ?? '';
  if (path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`))
    return { contentSecurityPolicy: { useDefaults: false, directives: DOCS_DIRECTIVES } };
  // The connect pages (the hosted picker, the flow, its result page; the observe channel beside them)
  // run in a popup its application opened, and the result page posts to window.opener:
  // Cross-Origin-Opener-Policy: same-origin on any page of the popup would cut it off from its opener
  // for good. Said explicitly (unsafe-none), not left out. The simulators' consent page stands in for
  // a provider's page in the same popup (sandbox only); a real provider's own policy is its own, and
  // the observe channel covers an opener it cuts off.
  if (isConnectPage(path) || path === '/sandbox/:provider/authorize' || path === '/sandbox/:provider/consent')
    return { crossOriginOpenerPolicy: { policy: 'unsafe-none' } };
  // The development page (src/dev/page, mounted with the sandbox only): its forms POST to
  // /dev/connect/{provider}, which refuses a foreign Origin, and under Referrer-Policy: no-referrer
  // browsers send `Origin: null` on a form POST. same-origin still sends nothing to other sites. It
  // opens the connect popup itself: same-origin-allow-popups keeps its own isolation without cutting
  // the popup (whose pages say unsafe-none) off from it.
  if (path === '/')
    return {
      referrerPolicy: { policy: 'same-origin' },
      crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
    };
  // The console: its own script and stylesheet, forms to itself. Referrer-Policy same-origin, so a form
  // post carries a real Origin (no-referrer makes browsers send `Origin: null`).
  if (path === '/admin' || path.startsWith('/admin/'))
    return {
      contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_DIRECTIVES },
      referrerPolicy: { policy: 'same-origin' },
    };
  return {};
}

/** The headers helmet sets for `options`, collected once: helmet computes them from options alone. */
export function headersOf(options: HelmetOptions): HeaderSet {
  const headers: Record<string, string> = {};
  const collector = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as never, collector as never, () => {});
  return Object.freeze(headers);
}

/** The header sets of one PUBLIC_URL, by route pattern; a handful of routes, each computed once. */
export function securityHeaders(publicUrl: string): (routeUrl: string | undefined) => HeaderSet {
  const base = securityHeaderOptions(publicUrl);
  const byRoute = new Map<string | undefined, HeaderSet>();
  return (routeUrl) => {
    let set = byRoute.get(routeUrl);
    if (!set) {
      set = headersOf({ ...base, ...routeOptionsFor(routeUrl) } as HelmetOptions);
      byRoute.set(routeUrl, set);
    }
    return set;
  };
}

/**
 * Security headers on every answer, as helmet (8) writes them: a restrictive CSP with
 * `frame-ancestors 'none'`, X-Frame-Options: DENY, X-Content-Type-Options: nosniff, Referrer-Policy:
 * no-referrer, HSTS when PUBLIC_URL is https, and helmet's cross-origin isolation headers. Set in the
 * first onRequest hook, so error answers (the exception filter, Nest's 404, body-limit 413s, the rate
 * limit's 429s) carry them too; a route that sets its own Content-Security-Policy (the OAuth result
 * pages, the development page) replaces this one, and gets `frame-ancestors 'none'` added when it
 * does not say otherwise.
 *
 * Not @fastify/helmet: it builds helmet's middleware anew for every request and writes the headers on
 * the raw Node response, which took Fastify off its fast path for writing headers: measured here +22 to
 * +27 µs of CPU per request on a trivial route (a bare Fastify: 20–21 µs), against +4 µs for the
 * same headers precomputed and set with `reply.headers`.
 */
export function registerSecurityHeaders(fastify: FastifyInstance, headersFor: (routeUrl?: string) => HeaderSet): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(headersFor(request.routeOptions.url));
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    const csp = reply.getHeader('content-security-policy');
    if (typeof csp === 'string') {
      const merged = withFrameAncestors(csp);
      if (merged !== csp) reply.header('content-security-policy', merged);
    }
    done(null, payload);
  });
}

/** A route's own policy that does not restrict framing gets `frame-ancestors 'none'`. */
export function withFrameAncestors(csp: string): string {
  if (/(^|;)\s*frame-ancestors\s/i.test(csp)) return csp;
  return `${csp.replace(/[\s;]+$/, '')}; frame-ancestors 'none'`;
}
