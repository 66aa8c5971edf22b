import express, { Request, RequestHandler, Response } from 'express';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a simulator endpoint answers; written to the response as is (never through the app's error filter). */
export interface SandboxReply {
  status: number;
  json?: unknown;
  html?: string;
  headers?: Record<string, string>;
  location?: string;
}

/** An OAuth-style error: `{error, error_description}` with its HTTP status. */
export class SandboxError extends Error {
  /** The grant the failed call concerned, when known (for the call log). */
  grantId: string | null = null;

  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }

  forGrant(grantId: string): this {
    this.grantId = grantId;
    return this;
  }

  toReply(): SandboxReply {
    return { status: this.status, json: { error: this.error, error_description: this.description }, headers: this.headers };
  }
}

export const invalidRequest = (description: string) => new SandboxError(400, 'invalid_request', description);
export const invalidClient = (description = 'Client authentication failed') => new SandboxError(401, 'invalid_client', description);
export const invalidGrant = (description: string) => new SandboxError(400, 'invalid_grant', description);
export const unsupportedGrantType = (description: string) => new SandboxError(400, 'unsupported_grant_type', description);
export const invalidToken = () =>
  new SandboxError(401, 'invalid_token', 'The access token is unknown, revoked or expired', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });

export const json = (body: unknown, status = 200): SandboxReply => ({ status, json: body });

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export function send(res: Response, reply: SandboxReply): void {
  res.status(reply.status);
  res.set(NO_STORE);
  if (reply.headers) res.set(reply.headers);
  if (reply.location !== undefined) res.location(reply.location);
  if (reply.html !== undefined) {
    res.set({
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
    });
    res.type('html').send(reply.html);
  } else if (reply.json !== undefined) {
    res.json(reply.json);
  } else {
    res.end();
  }
}

export const sha256Hex = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
export const randomSecret = () => randomBytes(32).toString('base64url');

export function safeEqual(a: string, b: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

export type BodyFormat = 'json' | 'form' | 'none' | 'other';

export function bodyFormat(req: Request): BodyFormat {
  if (!req.headers['content-type']) return 'none';
  if (req.is('application/json')) return 'json';
  if (req.is('application/x-www-form-urlencoded')) return 'form';
  return 'other';
}

/** Request parameters (a parsed body or query): single string values only. */
export class Params {
  private constructor(private readonly values: Record<string, unknown>) {}

  static of(source: unknown): Params {
    return new Params(source && typeof source === 'object' && !Array.isArray(source) ? (source as Record<string, unknown>) : {});
  }

  /** A string parameter; repeated or non-string values are refused like a real server would. */
  get(name: string): string | undefined {
    if (!Object.hasOwn(this.values, name)) return undefined;
    const value = this.values[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw invalidRequest(`Parameter ${name} must be a single string`);
    return value;
  }

  /** Like get, for callers that must not throw (fault matching before validation). */
  peek(name: string): string | undefined {
    const value = Object.hasOwn(this.values, name) ? this.values[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  }

  /** All single-string entries (what the consent form carries through). */
  strings(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.values)) if (typeof value === 'string') out[key] = value;
    return out;
  }

  repeated(): string[] {
    return Object.entries(this.values)
      .filter(([, value]) => typeof value !== 'string')
      .map(([key]) => key);
  }
}

/** `Authorization: Basic base64(id:secret)`; RFC 6749 §2.3.1 form-encodes both parts first. */
export function basicCredentials(req: Request): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) throw invalidClient('Malformed Basic credentials');
  const formDecode = (v: string) => {
    try {
      return decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      return v;
    }
  };
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** The simulator's own server-to-server address, as the service reached it (the port may be random in tests). */
export function internalOrigin(req: Request): string {
  return `http://127.0.0.1:${req.socket.localPort}`;
}

/** Form bodies for the sandbox routes only (the app itself parses JSON only); failures never echo the body. */
export function sandboxFormBody(): RequestHandler {
  const parse = express.urlencoded({ extended: false, limit: '100kb' });
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => {
      if (!error) return next();
      const status = (error as { status?: number }).status === 413 ? 413 : 400;
      send(res, new SandboxError(status, 'invalid_request', 'The request body could not be read').toReply());
    });
}
