import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** One attribute value of OTLP/JSON, as a plain value. */
export type OtlpValue = string | number | boolean | null;

/** A span as OTLP/JSON carries it, with its attributes as a plain object. */
export interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, OtlpValue>;
  status: { code?: number; message?: string };
  /** The resource it came with (service.name…). */
  resource: Record<string, OtlpValue>;
}

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: {
      spans?: (Omit<ExportedSpan, 'attributes' | 'resource'> & { attributes?: OtlpKeyValue[] })[];
    }[];
  }[];
}

const plain = (value: OtlpAnyValue): OtlpValue =>
  value.stringValue ??
  (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
  value.doubleValue ??
  value.boolValue ??
  null;
const attributesOf = (list: OtlpKeyValue[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, plain(value)]));

/**
 * An OTLP/HTTP collector in the test: accepts `POST /v1/traces` (JSON: the service exports with
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json), keeps every body's raw bytes and answers 200.
 */
export class OtlpReceiver {
  /** Every request that came in, bytes as they came. */
  readonly requests: { method: string; url: string; contentType: string; body: Buffer }[] = [];
  private server?: http.Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          contentType: String(req.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks),
        });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** All bytes received, as one text (to look for what must never be exported). */
  rawText(): string {
    return this.requests.map((r) => r.body.toString('utf8')).join('\n');
  }

  /** Every span received so far. */
  spans(): ExportedSpan[] {
    const spans: ExportedSpan[] = [];
    for (const { url, body } of this.requests) {
      if (url !== '/v1/traces') continue;
      const traces = JSON.parse(body.toString('utf8')) as OtlpTraces;
      for (const { resource, scopeSpans = [] } of traces.resourceSpans ?? []) {
        const resourceAttributes = attributesOf(resource?.attributes);
        for (const { spans: list = [] } of scopeSpans)
          for (const span of list)
            spans.push({
              ...span,
              parentSpanId: span.parentSpanId ?? '',
              attributes: attributesOf(span.attributes),
              status: span.status ?? {},
              resource: resourceAttributes,
            });
      }
    }
    return spans;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
