import { DomainError } from '../common/errors';

export class InvalidProxyPath extends DomainError {
  constructor(reason: string) {
    super('invalid_proxy_path', 400, `The proxy path is not allowed: ${reason}`);
  }
}

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A path segment once, twice and three times percent-decoded: what an upstream that decodes again may see. */
function decodings(segment: string): string[] {
  const seen = [segment];
  let current = segment;
  for (let i = 0; i < 3 && current.includes('%'); i++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      throw new InvalidProxyPath('malformed percent-encoding');
    }
    seen.push(current);
  }
  return seen;
}

/**
 * The upstream URL of a proxy call: `rest` (the request's raw path after `/proxy/{connectionId}`, with
 * its query string) under the connection's API base. The target is always under the base, on its host:
 * `.` and `..` segments (also percent-encoded, once or more), empty segments (`//`), backslashes,
 * encoded slashes and control characters are refused, and the URL that results is checked to be on the
 * base's origin and under its path. The query string is passed on as it came.
 */
export function proxyTarget(apiBase: string, rest: string): URL {
  const { relative, query } = checkProxyPath(rest);
  const base = new URL(apiBase);
  const basePath = base.pathname.replace(/\/+$/, '');
  const target = new URL(`${base.origin}${basePath}${relative ? `/${relative}` : ''}${query}`);
  const under =
    target.pathname === basePath || target.pathname === `${basePath}/` || target.pathname.startsWith(`${basePath}/`);
  if (target.origin !== base.origin || !under) throw new InvalidProxyPath('outside the API base');
  return target;
}

/** The checks of proxyTarget that need no API base (made before anything else): the path relative to the base, and the query. */
export function checkProxyPath(rest: string): { relative: string; query: string } {
  const q = rest.indexOf('?');
  const path = q === -1 ? rest : rest.slice(0, q);
  const query = q === -1 ? '' : rest.slice(q);
  if (CONTROL.test(rest)) throw new InvalidProxyPath('control characters');
  if (rest.includes('#')) throw new InvalidProxyPath('a fragment');
  const relative = path.replace(/^\//, '');
  if (relative !== '') {
    const segments = relative.split('/');
    // One trailing slash is part of the path (`contacts/`); any other empty segment is `//`.
    if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
    for (const segment of segments) {
      if (segment === '') throw new InvalidProxyPath('an empty segment (//)');
      for (const decoded of decodings(segment)) {
        // Compatibility forms too: a fullwidth dot or solidus some servers fold into the ASCII one.
        for (const form of new Set([decoded, decoded.normalize('NFKC')])) {
          // `..;` and `.;x`: servlet containers drop the `;…` part of a segment and see `..`.
          if (/^\.\.?(;|$)/.test(form)) throw new InvalidProxyPath('a . or .. segment');
          if (form.includes('\\')) throw new InvalidProxyPath('a backslash');
          if (form !== segment && form.includes('/')) throw new InvalidProxyPath('an encoded slash');
          if (form !== segment && CONTROL.test(form)) throw new InvalidProxyPath('control characters');
        }
      }
    }
  }
  return { relative, query };
}

/** Hop-by-hop headers (RFC 9110 7.6.1): about one connection, never passed on in either direction. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** Request headers never passed on: credentials and cookies of the caller, routing and hop-by-hop headers. */
const REQUEST_DROPPED = new Set([
  'authorization',
  'cookie',
  'host',
  'forwarded',
  'x-real-ip',
  'content-length',
  'expect',
  'proxy-retries',
  'x-request-id',
  ...HOP_BY_HOP,
]);

/**
 * Response headers never passed back: cookies of the provider, hop-by-hop headers, what would speak
 * for this service's origin (HSTS, Alt-Svc, Clear-Site-Data, CORS): the answer is served from here;
 * and what would let a cache store it (the service sets `Cache-Control: private, no-store` itself:
 * proxy-answer-headers.ts), or make a web server in front act on it (nginx's X-Accel-*, X-Sendfile).
 */
const RESPONSE_DROPPED = new Set([
  'set-cookie',
  'set-cookie2',
  'strict-transport-security',
  'alt-svc',
  'clear-site-data',
  'cache-control',
  'expires',
  // RFC 9213 targeted cache control and its forerunner: a CDN obeys these before Cache-Control.
  'cdn-cache-control',
  'surrogate-control',
  'x-sendfile',
  ...HOP_BY_HOP,
]);
/** Whole families: CORS, nginx's X-Accel-* (X-Accel-Expires caches, X-Accel-Redirect serves a local file), `<CDN>-CDN-Cache-Control`. */
const responseDroppedFamily = (name: string) =>
  name.startsWith('access-control-') || name.startsWith('x-accel-') || name.endsWith('-cdn-cache-control');

type Headers = Record<string, string | string[] | undefined>;

/** Header names listed in a Connection header: hop-by-hop for this message too. */
function connectionTokens(headers: Headers): Set<string> {
  const value = headers.connection;
  const list = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    list
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** What goes upstream of the caller's headers (names in lower case, as Node gives them). */
export function upstreamRequestHeaders(incoming: Headers): Record<string, string | string[]> {
  const named = connectionTokens(incoming);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || REQUEST_DROPPED.has(name) || named.has(name) || name.startsWith('x-forwarded-'))
      continue;
    out[name] = value;
  }
  return out;
}

/**
 * What comes back of the provider's headers: all but those above (cookies, hop-by-hop, caching…), and
 * never one the service has already set on its answer (`alreadySet`: the security headers,
 * X-Request-Id). `ETag`, `Last-Modified` and `Vary` come back (the service adds `Authorization` to `Vary`).
 */
export function callerResponseHeaders(
  upstream: Headers,
  alreadySet: (name: string) => boolean,
): Record<string, string | string[]> {
  const named = connectionTokens(upstream);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || RESPONSE_DROPPED.has(name) || named.has(name) || alreadySet(name)) continue;
    if (responseDroppedFamily(name)) continue;
    out[name] = value;
  }
  return out;
}
