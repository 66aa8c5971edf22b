import { DomainError } from '../common/errors';

export class InvalidProxyPath extends DomainError {
  constructor(reason: string) {
    super('invalid_proxy_path', 400, `The proxy path is not allowed: ${reason}`);
  }
}

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
/**
 * A segment of printable ASCII without `%` or `\`: nothing to decode, and NFKC leaves ASCII as it is,
 * so of the checks below only the `.`/`..` one can apply (checkProxyPath's fast path, same outcome).
 */
const PLAIN_SEGMENT = /^[\x20-\x24\x26-\x5b\x5d-\x7e]+$/;
/** `.` and `..` segments, also as servlet containers read them (`..;x`). */
const DOT_SEGMENT = /^\.\.?(;|$)/;

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
  return targetUrl(parsedBase(apiBase), checkProxyPath(rest));
}

/** What a call needs of its target: undici's origin and path (with the query), and the host for the address checks. */
export interface RequestTarget {
  origin: string;
  /** The path and query, as undici sends them. */
  path: string;
  /** The path alone (logged). */
  pathname: string;
  /** host[:port], as URL.host. */
  host: string;
  /** As URL.hostname (an IPv6 address in brackets). */
  hostname: string;
}

interface ParsedBase {
  origin: string;
  /** The base's path without trailing slashes ('' at the root of its host). */
  path: string;
  host: string;
  hostname: string;
}

/** API bases parsed once: a handful per provider (the configured one, a stored one per workspace host). */
const bases = new Map<string, ParsedBase>();
const BASES_MAX = 1000;

function parsedBase(apiBase: string): ParsedBase {
  let base = bases.get(apiBase);
  if (!base) {
    const url = new URL(apiBase);
    base = { origin: url.origin, path: url.pathname.replace(/\/+$/, ''), host: url.host, hostname: url.hostname };
    if (bases.size >= BASES_MAX) bases.clear();
    bases.set(apiBase, base);
  }
  return base;
}

/** URL.host of an API base (parsed once). */
export function apiHost(apiBase: string): string {
  return parsedBase(apiBase).host;
}

function targetUrl(base: ParsedBase, { relative, query }: { relative: string; query: string }): URL {
  const target = new URL(`${base.origin}${base.path}${relative ? `/${relative}` : ''}${query}`);
  const under =
    target.pathname === base.path || target.pathname === `${base.path}/` || target.pathname.startsWith(`${base.path}/`);
  if (target.origin !== base.origin || !under) throw new InvalidProxyPath('outside the API base');
  return target;
}

/**
 * Characters a URL keeps as they are in a path (and, after `?`, in a query of an http(s) URL): a
 * checked rest made of these alone gives the same URL as proxyTarget without parsing one.
 */
const VERBATIM_REST = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(\?[A-Za-z0-9\-._~!$&()*+,;=:@/%?]*)?$/;

/**
 * proxyTarget as a call uses it (same checks, same result): undici's origin and path. The API base is
 * parsed once; a rest of plain characters (nearly every call) needs no URL parsed at all.
 */
export function proxyRequestTarget(
  apiBase: string,
  rest: string,
  checked: { relative: string; query: string } = checkProxyPath(rest),
): RequestTarget {
  const base = parsedBase(apiBase);
  if (VERBATIM_REST.test(rest)) {
    const pathname = `${base.path}${checked.relative ? `/${checked.relative}` : ''}` || '/';
    // A lone `?` is no query (URL.search is empty then, and undici leaves it out).
    const search = checked.query.length > 1 ? checked.query : '';
    return { origin: base.origin, path: `${pathname}${search}`, pathname, host: base.host, hostname: base.hostname };
  }
  const url = targetUrl(base, checked);
  return {
    origin: url.origin,
    path: url.search ? `${url.pathname}${url.search}` : url.pathname,
    pathname: url.pathname,
    host: url.host,
    hostname: url.hostname,
  };
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
      if (PLAIN_SEGMENT.test(segment)) {
        if (DOT_SEGMENT.test(segment)) throw new InvalidProxyPath('a . or .. segment');
        continue;
      }
      for (const decoded of decodings(segment)) {
        // Compatibility forms too: a fullwidth dot or solidus some servers fold into the ASCII one.
        for (const form of new Set([decoded, decoded.normalize('NFKC')])) {
          // `..;` and `.;x`: servlet containers drop the `;…` part of a segment and see `..`.
          if (DOT_SEGMENT.test(form)) throw new InvalidProxyPath('a . or .. segment');
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

const NONE: ReadonlySet<string> = new Set();

/** Header names listed in a Connection header: hop-by-hop for this message too. */
function connectionTokens(headers: Headers): ReadonlySet<string> {
  const value = headers.connection;
  if (value === undefined) return NONE;
  const list = Array.isArray(value) ? value.join(',') : value;
  // The usual value names a header that is dropped anyway.
  if (list === 'keep-alive') return NONE;
  return new Set(
    list
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * What goes upstream of the caller's headers (names in lower case, as Node gives them), added to `out`
 * (a header of that name already there is replaced in place).
 */
export function upstreamRequestHeaders(
  incoming: Headers,
  out: Record<string, string | string[]> = {},
): Record<string, string | string[]> {
  const named = connectionTokens(incoming);
  for (const name in incoming) {
    const value = incoming[name];
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
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || RESPONSE_DROPPED.has(name) || named.has(name) || alreadySet(name)) continue;
    if (responseDroppedFamily(name)) continue;
    out[name] = value;
  }
  return out;
}
