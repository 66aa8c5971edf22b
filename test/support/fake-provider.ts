import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  contentType: string;
  rawBody: string;
  /** Parsed from JSON or form bodies. */
  body: Record<string, unknown>;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
  delayMs?: number;
}

/** A handler may answer later: return a promise the test resolves (e.g. to hold a call in flight). */
type Handler = (req: RecordedRequest) => FakeResponse | Promise<FakeResponse>;

/**
 * A stand-in provider over real HTTP on 127.0.0.1 that records every request, for tests about what the
 * service puts on the wire and how it copes with bad answers.
 */
export class FakeProvider {
  readonly requests: RecordedRequest[] = [];
  private readonly handlers = new Map<string, Handler>();
  private server?: http.Server;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  on(method: string, path: string, handler: Handler | FakeResponse): this {
    this.handlers.set(`${method} ${path}`, typeof handler === 'function' ? handler : () => handler);
    return this;
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Resolves once `count` requests to `path` have arrived (their answers may still be held). */
  async waitForRequests(path: string, count = 1, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    for (const started = Date.now(); this.requestsTo(path).length < count;) {
      if (Date.now() - started > timeoutMs)
        throw new Error(`${count} request(s) to ${path} expected, ${this.requestsTo(path).length} arrived`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.requestsTo(path);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const contentType = String(req.headers['content-type'] ?? '');
        let body: Record<string, unknown> = {};
        if (contentType.startsWith('application/json')) {
          try {
            body = JSON.parse(raw) as Record<string, unknown>;
          } catch {
            body = {};
          }
        } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
          body = Object.fromEntries(new URLSearchParams(raw));
        }
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          contentType,
          rawBody: raw,
          body,
        };
        this.requests.push(recorded);
        const handler = this.handlers.get(`${recorded.method} ${recorded.path}`);
        // A handler that throws or rejects answers 500 instead of killing the worker or hanging the request.
        const answered = Promise.resolve()
          .then(() => (handler ? handler(recorded) : { status: 404, json: { error: 'not_found' } }))
          .catch((error: unknown) => ({ status: 500, text: `fake provider handler failed: ${String(error)}` }));
        void answered.then((answer: FakeResponse) => {
          const send = () => {
            if (res.destroyed) return;
            res.writeHead(answer.status ?? 200, {
              'Content-Type': answer.text !== undefined ? 'text/html' : 'application/json',
              ...answer.headers,
            });
            res.end(answer.text ?? (answer.json !== undefined ? JSON.stringify(answer.json) : ''));
          };
          if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
          else send();
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
