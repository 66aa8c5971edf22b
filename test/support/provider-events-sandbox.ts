import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import request from 'supertest';
import { verifyWebhook } from '../../docs/examples/webhook-receiver';
import type { HttpClientOf, TestApp } from './app';
import { FakeProvider } from './fake-provider';
import { rawRequest, type RawAnswer } from './raw-http';
import { waitFor } from './wait';

/**
 * Provider events end to end against the sandbox simulators (docs/events.md): the product's webhook
 * receiver (what WEBHOOK_URL points at, every delivery verified as docs/examples verifies it), a tap
 * recording what the simulators post to the service's /events URLs, and the providers' signing
 * schemes written out independently of src/.
 */

/** One `provider.event` / `connection.revoked` / … as the product's receiver got it. */
export interface ReceivedWebhook {
  /** `webhook-id`: the receiver dedupes on it (delivery is at least once). */
  id: string;
  type: string;
  timestamp: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test asserts the shape
  data: Record<string, any>;
}

/**
 * The product's webhook receiver: a real HTTP server at WEBHOOK_URL answering 204, the service's
 * dispatcher on a short timer. Every delivery must carry a valid Standard Webhooks signature (checked
 * with the receiver snippet of docs/examples); a redelivery of the same `webhook-id` counts once.
 */
export class ProductWebhookReceiver {
  readonly secret = `whsec_${randomBytes(32).toString('base64')}`;
  private readonly server = new FakeProvider();

  async start(): Promise<this> {
    await this.server.start();
    this.server.on('POST', '/hooks', { status: 204 });
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** The app's webhook settings: this receiver, dispatched every `intervalMs`. */
  env(intervalMs = 50): Record<string, string> {
    return {
      WEBHOOK_URL: `${this.server.url}/hooks`,
      WEBHOOK_SECRET: this.secret,
      WEBHOOK_DISPATCH_INTERVAL_MS: String(intervalMs),
    };
  }

  /** Every distinct delivery so far, in arrival order; throws on one whose signature does not verify. */
  all(): ReceivedWebhook[] {
    const seen = new Map<string, ReceivedWebhook>();
    for (const r of this.server.requestsTo('/hooks')) {
      const check = verifyWebhook(this.secret, r.headers, r.rawBody);
      if (!check.ok) throw new Error(`a webhook delivery did not verify: ${check.reason}`);
      if (seen.has(check.id)) continue;
      const body = JSON.parse(r.rawBody) as Omit<ReceivedWebhook, 'id'>;
      seen.set(check.id, { id: check.id, type: body.type, timestamp: body.timestamp, data: body.data });
    }
    return [...seen.values()];
  }

  /**
   * The deliveries of one type whose `data` holds every field of `match` (deeply equal), or for which
   * `match` answers true.
   */
  of(type: string, match: DataMatch = {}): ReceivedWebhook[] {
    const test =
      typeof match === 'function'
        ? match
        : // eslint-disable-next-line @typescript-eslint/no-explicit-any -- data fields of any type
          (data: Record<string, any>) => Object.entries(match).every(([k, v]) => isDeepStrictEqual(data[k], v));
    return this.all().filter((w) => w.type === type && test(w.data));
  }

  /** Polls (no sleep decides anything) until `count` deliveries of `type` matching `match` have arrived. */
  async waitFor(type: string, match: DataMatch, count = 1, timeoutMs = 5_000): Promise<ReceivedWebhook[]> {
    await waitFor(
      () => this.of(type, match).length >= count,
      `${count} ${type} webhook(s) matching ${typeof match === 'function' ? 'a predicate' : JSON.stringify(match)} at the product's receiver`,
      timeoutMs,
    );
    return this.of(type, match);
  }
}

/** Fields a delivery's `data` must hold, or a predicate on it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- data fields of any type
export type DataMatch = Record<string, unknown> | ((data: Record<string, any>) => boolean);

/** One request as it reached the service's /events route: the exact bytes and headers the sender put on the wire. */
export interface CapturedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Headers a replay must not copy: the connection's own, recomputed for the new request. */
const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/**
 * Records every request that reaches the handler of the service's `/events/…` routes (after the
 * route's own checks before the body), as received: install with `startTestApp({configure: tap.install})`.
 * Observation only: nothing is changed, answered or delayed. It is how a test gets the bytes a
 * simulator sent (a ClickFunnels 2.0 endpoint's secret is shown only to the service), to replay them
 * or send altered copies.
 */
export class EventsTap {
  readonly captured: CapturedDelivery[] = [];

  readonly install = (app: NestFastifyApplication): void => {
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('preHandler', (req, _reply, done) => {
        const path = req.url.split('?')[0];
        if (path.startsWith('/events/'))
          this.captured.push({
            path,
            headers: { ...req.headers },
            body: Buffer.isBuffer(req.body) ? Buffer.from(req.body) : Buffer.alloc(0),
          });
        done();
      });
  };

  /** The newest event (not a handshake) posted to `path`. */
  last(path: string): CapturedDelivery {
    const found = this.captured.filter((c) => c.path === path && c.body.length > 0).at(-1);
    if (!found) throw new Error(`nothing was posted to ${path}`);
    return found;
  }
}

/** A captured delivery's headers, ready to send again (its own, as they came, but the connection's). */
export function replayHeaders(captured: CapturedDelivery): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(captured.headers))
    if (!HOP_BY_HOP.has(name) && typeof value === 'string') headers[name] = value;
  return headers;
}

/** POSTs a captured delivery again, exactly or with parts changed. */
export function replay(
  t: Pick<HttpClientOf, 'baseUrl'>,
  captured: CapturedDelivery,
  change: { path?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  return rawRequest(
    t.baseUrl,
    'POST',
    change.path ?? captured.path,
    { ...replayHeaders(captured), ...change.headers },
    change.body ?? captured.body,
  );
}

/**
 * The providers' signatures as docs/events.md describes them, computed here with node:crypto
 * (never with the service's code): ClickFunnels 2.0 hex HMAC-SHA256 of `"{unix seconds}.{body}"` with
 * the endpoint's secret, Lightfunnels base64 HMAC-SHA256 of the body with the client secret, Webflow
 * hex HMAC-SHA256 of `"{epoch ms}:{body}"` with the client secret.
 */
export const providerSignature = {
  clickfunnels: (secret: string, timestamp: string, body: Buffer | string) =>
    createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex'),
  lightfunnels: (secret: string, body: Buffer | string) => createHmac('sha256', secret).update(body).digest('base64'),
  webflow: (secret: string, timestamp: string, body: Buffer | string) =>
    createHmac('sha256', secret).update(`${timestamp}:`).update(body).digest('hex'),
};

/** A webhook registered at a simulator, as `GET /sandbox/{provider}/webhooks` lists it (never its secret). */
export interface SandboxHook {
  id: string;
  account: string;
  events: string[];
  url: string;
  name: string | null;
  status: string;
  data: Record<string, unknown>;
  createdAt: string;
}

/** The webhooks a simulator holds for one account (the service's accountId of the connection). */
export async function sandboxHooks(
  t: Pick<HttpClientOf, 'baseUrl'>,
  provider: string,
  accountId: string,
): Promise<SandboxHook[]> {
  const res = await request(t.baseUrl).get(`/sandbox/${provider}/webhooks`).query({ accountId }).expect(200);
  return res.body.data as SandboxHook[];
}

/** What `POST /sandbox/{provider}/webhooks/test-event` answers. */
export interface TestEventAnswer {
  event: string | null;
  deliveries: { webhookId: string; url: string; event: string; status: number | null; delivered: boolean }[];
}

/** The simulator posts a signed test event to every webhook of the account registered for it. */
export async function sendTestEvent(
  t: Pick<HttpClientOf, 'baseUrl'>,
  provider: string,
  body: { accountId: string; type?: string; uninstall?: boolean },
): Promise<TestEventAnswer> {
  const res = await request(t.baseUrl).post(`/sandbox/${provider}/webhooks/test-event`).send(body).expect(200);
  return res.body as TestEventAnswer;
}

/**
 * The signing secret a simulator keeps for one of its webhooks (sandbox.webhooks): what the provider
 * knows. A ClickFunnels 2.0 endpoint's `webhook_secret` is shown once, to the service that registered
 * it, so a test that signs a ClickFunnels delivery itself (an old timestamp) reads it here.
 */
export async function simulatorHookSecret(
  t: Pick<TestApp, 'dataSource'>,
  provider: string,
  remoteId: string,
): Promise<string> {
  const rows: { secret: string | null }[] = await t.dataSource.query(
    'SELECT secret FROM sandbox.webhooks WHERE provider = $1 AND remote_id = $2',
    [provider, remoteId],
  );
  if (!rows[0]?.secret) throw new Error(`the ${provider} simulator keeps no secret for webhook ${remoteId}`);
  return rows[0].secret;
}
