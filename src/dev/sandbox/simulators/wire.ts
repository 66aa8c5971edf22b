import type { FastifyRequest } from 'fastify';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The HTTP vocabulary the simulators and the shared services speak: replies, errors, parameters,
 * credentials. No Nest and no Fastify reply here (sandbox-http.ts writes replies), so the simulators
 * stay plain classes.
 */

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
    return {
      status: this.status,
      json: { error: this.error, error_description: this.description },
      headers: this.headers,
    };
  }
}

/**
 * An error answered in a provider's own shape (its API's error bodies are not OAuth's). `error` is
 * the short code the call log records.
 */
export class ReplyError extends SandboxError {
  constructor(
    private readonly reply: SandboxReply,
    error: string,
  ) {
    super(reply.status, error, error, reply.headers);
  }

  override toReply(): SandboxReply {
    return this.reply;
  }
}

/** Why an authorize request is refused: shown on an error page, never sent to the redirect_uri. */
export class AuthorizeRefused extends Error {}

export const invalidRequest = (description: string) => new SandboxError(400, 'invalid_request', description);
export const invalidClient = (description = 'Client authentication failed') =>
  new SandboxError(401, 'invalid_client', description);
export const invalidGrant = (description: string) => new SandboxError(400, 'invalid_grant', description);
export const unsupportedGrantType = (description: string) =>
  new SandboxError(400, 'unsupported_grant_type', description);

export const json = (body: unknown, status = 200, headers?: Record<string, string>): SandboxReply => ({
  status,
  json: body,
  ...(headers && { headers }),
});

export const sha256Hex = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
export const randomSecret = () => randomBytes(32).toString('base64url');

export function safeEqual(a: string, b: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

export type BodyFormat = 'json' | 'form' | 'none' | 'other';

export function bodyFormat(req: Pick<FastifyRequest, 'headers'>): BodyFormat {
  const header = req.headers['content-type'];
  if (!header) return 'none';
  const type = header.split(';', 1)[0].trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  return 'other';
}

/** Request parameters (a parsed body or query): single string values only. */
export class Params {
  private constructor(private readonly values: Record<string, unknown>) {}

  static of(source: unknown): Params {
    return new Params(
      source && typeof source === 'object' && !Array.isArray(source) ? (source as Record<string, unknown>) : {},
    );
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
export function basicCredentials(req: Pick<FastifyRequest, 'headers'>): { id: string; secret: string } | undefined {
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

export function bearerToken(req: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** The simulator's own server-to-server address, as the service reached it (the port may be random in tests). */
export function internalOrigin(req: Pick<FastifyRequest, 'socket'>): string {
  return `http://127.0.0.1:${req.socket.localPort}`;
}

/** The body of a JSON request when it is an object (an API's create call), else undefined. */
export function jsonObject(format: BodyFormat, body: unknown): Record<string, unknown> | undefined {
  return format === 'json' && body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

/** An integer parameter in [min, max]: undefined when absent, null when invalid. */
export function integerParam(raw: string | undefined, min: number, max: number): number | null | undefined {
  if (raw === undefined) return undefined;
  if (!/^-?\d{1,9}$/.test(raw)) return null;
  const value = Number(raw);
  return value >= min && value <= max ? value : null;
}
