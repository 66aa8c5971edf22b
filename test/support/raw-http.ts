import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received (empty for HEAD). */
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- like supertest's body: the test asserts its shape
  body: any;
}

/**
 * One request over node:http, bytes and headers exactly as given (supertest and fetch rewrite bodies,
 * set Content-Length themselves and refuse a GET with a body). Every answer must carry an
 * X-Request-Id, and an error body's requestId must be that id.
 */
export async function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawAnswer> {
  const answer = await new Promise<RawAnswer>((resolve, reject) => {
    // The path as given (a URL would normalize it: `//x` would become a host).
    const { hostname, port } = new URL(baseUrl);
    const req = httpRequest({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        if (/^application\/json/.test(String(res.headers['content-type'])) && text) parsed = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  return checked(answer);
}

/**
 * A request line and headers written on a TCP socket as given, for targets node:http (or the test
 * setup's interceptor) would rewrite, such as `//x`. Sent with Connection: close; the answer is read to the end.
 */
export async function rawSocketRequest(
  baseUrl: string,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const head = [
    `${method} ${target} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(`${head.join('\r\n')}\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const parsedHeaders: IncomingHttpHeaders = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    parsedHeaders[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  // Answers here are JSON with a Content-Length (no chunked encoding to undo).
  expect(parsedHeaders['transfer-encoding']).toBeUndefined();
  const text = raw.subarray(split + 4).toString('utf8');
  const body = /^application\/json/.test(String(parsedHeaders['content-type'])) && text ? JSON.parse(text) : undefined;
  return checked({ status: Number(statusLine.split(' ')[1]), headers: parsedHeaders, text, body });
}

function checked(answer: RawAnswer): RawAnswer {
  expect(answer.headers['x-request-id']).toEqual(expect.any(String));
  if (answer.body && typeof answer.body === 'object' && 'requestId' in answer.body)
    expect(answer.body.requestId).toBe(answer.headers['x-request-id']);
  return answer;
}

/** Retries `check` until it passes (or `timeoutMs` has gone): log lines and metrics are written once the response has finished. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
