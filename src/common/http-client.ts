import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { ReadableStreamDefaultReader } from 'node:stream/web';
import { appConfig } from '../config/app.config';
import { PROVIDER_ANSWER_MAX_BYTES } from './limits';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string | undefined>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as is (the caller sets Content-Type), e.g. a body that was signed byte for byte. */
  rawBody?: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** The request never got an answer: timeout or network failure. Carries no URL query or body. */
export class HttpTransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network' | 'too_large',
    readonly target: string,
  ) {
    super(
      kind === 'timeout'
        ? `No answer from ${target} within the timeout`
        : kind === 'too_large'
          ? `The answer of ${target} is too large`
          : `Could not reach ${target}`,
    );
    this.name = 'HttpTransportError';
  }
}

/** Origin and path of a URL, for messages: never the query string. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'the provider';
  }
}

/**
 * Every outbound call of the service: Node's fetch with a hard timeout (HTTP_TIMEOUT_MS) and redirects
 * not followed (a token endpoint that redirects is misconfigured or hostile; following it would resend
 * credentials elsewhere).
 */
@Injectable()
export class HttpClient {
  constructor(@Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>) {}

  async send(req: HttpRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': 'oauth-connections/0.1',
      ...req.headers,
    };
    let body: string | undefined;
    if (req.form) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(req.form)) if (value !== undefined) params.set(key, value);
      body = params.toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['Content-Type'] = 'application/json';
    } else if (req.rawBody !== undefined) {
      body = req.rawBody;
    }
    const target = describeTarget(req.url);
    try {
      const res = await fetch(req.url, {
        method: req.method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.app.httpTimeoutMs),
      });
      return { status: res.status, headers: res.headers, text: await readLimited(res, MAX_RESPONSE_BYTES, target) };
    } catch (error) {
      if (error instanceof HttpTransportError) throw error;
      const name = (error as Error)?.name;
      throw new HttpTransportError(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network', target);
    }
  }
}

/** Token and whoami answers are small; a provider (or something posing as one) cannot fill our memory. */
const MAX_RESPONSE_BYTES = PROVIDER_ANSWER_MAX_BYTES;

async function readLimited(res: Response, limit: number, target: string): Promise<string> {
  if (!res.body) return '';
  // @types/node types fetch's body loosely; it is a byte stream.
  const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new HttpTransportError('too_large', target);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function basicAuth(clientId: string, clientSecret: string): string {
  // RFC 6749 2.3.1: form-urlencode each part before joining.
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}
