import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { HttpClient, HttpTransportError } from '../../common/http-client';
import { appConfig } from '../../config/app.config';
import { SandboxWebhookEntity } from './sandbox.entities';
import type { ProviderSimulator, SandboxWebhooks, StoredWebhook } from './simulators/simulator';
import { randomSecret } from './simulators/wire';

/** What one delivery of a test event got. */
export interface WebhookDelivery {
  webhookId: string;
  /** Where it was registered (the service's PUBLIC_URL address); it is sent to the internal one. */
  url: string;
  event: string;
  /** The receiver's HTTP status; null when none came (timeout, refused connection). */
  status: number | null;
  /** Whether the provider counts it as delivered (a 2xx). */
  delivered: boolean;
  error?: string;
}

export interface TestEventRequest {
  /** The account, as the service names the connection's account (its accountId). */
  accountId: string;
  /** The event type; absent: each webhook gets its own first event. */
  type?: string;
}

/**
 * The simulators' webhooks (sandbox.webhooks): what their registration calls store, Keap's
 * handshake, and test events POSTed to every registered URL of an account, signed as each provider
 * signs. Deliveries go through the service's own outbound client (timeout, no redirects). A URL on the
 * service's PUBLIC_URL is called at the address the triggering request reached (the internal one), so
 * it also works where PUBLIC_URL is not reachable from the server itself.
 */
@Injectable()
export class SandboxWebhooksService {
  private readonly logger = new Logger('Sandbox');

  constructor(
    @InjectRepository(SandboxWebhookEntity) private readonly hooks: Repository<SandboxWebhookEntity>,
    private readonly http: HttpClient,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** The store an API call of `provider` gets; what it creates belongs to the call's grant. */
  for(provider: ProviderSimulator, grantId: string, origin: string): SandboxWebhooks {
    const where = (id: string) => ({ provider: provider.name, remoteId: id });
    return {
      create: async (hook) => {
        const saved = await this.hooks.save(
          this.hooks.create({
            provider: provider.name,
            remoteId: hook.id,
            account: hook.account,
            events: hook.events,
            url: hook.url,
            name: hook.name ?? null,
            secret: hook.secret ?? null,
            status: hook.status,
            data: hook.data ?? {},
            grantId,
          }),
        );
        return stored(saved);
      },
      list: (account) => this.list(provider, account),
      find: async (id) => {
        const row = await this.hooks.findOneBy(where(id));
        return row ? stored(row) : null;
      },
      remove: async (id) => ((await this.hooks.delete(where(id))).affected ?? 0) > 0,
      update: async (id, change) => {
        await this.hooks.update(where(id), change);
      },
      handshake: (url) => this.handshake(provider, url, origin),
    };
  }

  /** The webhooks of a provider, of one account when given, oldest first. */
  async list(provider: ProviderSimulator, account?: string): Promise<StoredWebhook[]> {
    const rows = await this.hooks.find({
      where: account === undefined ? { provider: provider.name } : { provider: provider.name, account },
      order: { id: 'ASC' },
    });
    return rows.map(stored);
  }

  /**
   * One event to every webhook of the account that receives it (with no type: each webhook its own
   * first event), signed as the provider signs; the deliveries in the order of registration. An
   * uninstall goes only to the webhooks registered for it.
   */
  async sendEvent(provider: ProviderSimulator, request: TestEventRequest, origin: string): Promise<WebhookDelivery[]> {
    const style = provider.webhooks;
    if (!style) return [];
    const event = { id: randomUUID(), now: new Date() };
    const deliveries: WebhookDelivery[] = [];
    for (const hook of await this.list(provider, request.accountId)) {
      const type = request.type ?? style.defaultEvent(hook);
      if (type === undefined || !style.receives(hook, type)) continue;
      const body = JSON.stringify(style.body(type, hook, event));
      const headers = { 'Content-Type': 'application/json', ...style.sign(body, hook, event.now) };
      const { echoed: _echoed, ...delivery } = await this.post(provider, hook.url, headers, body, origin);
      deliveries.push({ webhookId: hook.id, url: hook.url, event: type, ...delivery });
      const status = delivery.status === null ? undefined : style.statusAfter?.(delivery.status);
      if (status && status !== hook.status)
        await this.hooks.update({ provider: provider.name, remoteId: hook.id }, { status });
    }
    return deliveries;
  }

  /** Keap's: POST with a new X-Hook-Secret and an empty body; verified by a 200 echoing it. */
  private async handshake(
    provider: ProviderSimulator,
    url: string,
    origin: string,
  ): Promise<{ verified: boolean; secret: string }> {
    const secret = randomSecret();
    const headers = { 'Content-Type': 'application/json', 'X-Hook-Secret': secret };
    const answer = await this.post(provider, url, headers, '', origin);
    return { verified: answer.status === 200 && answer.echoed === secret, secret };
  }

  private async post(
    provider: ProviderSimulator,
    url: string,
    headers: Record<string, string>,
    body: string,
    origin: string,
  ): Promise<{ status: number | null; delivered: boolean; error?: string; echoed?: string | null }> {
    let target: string;
    try {
      target = this.targetOf(url, origin);
    } catch {
      return { status: null, delivered: false, error: 'invalid_url' };
    }
    try {
      const res = await this.http.send({
        method: 'POST',
        url: target,
        headers: { 'User-Agent': `${provider.displayName} webhooks (sandbox)`, ...headers },
        rawBody: body,
      });
      return {
        status: res.status,
        delivered: res.status >= 200 && res.status < 300,
        echoed: res.headers.get('x-hook-secret'),
      };
    } catch (error) {
      const kind = error instanceof HttpTransportError ? error.kind : 'network';
      this.logger.warn({ provider: provider.name, error: kind }, 'simulated webhook delivery got no answer');
      return { status: null, delivered: false, error: kind };
    }
  }

  /** A URL on PUBLIC_URL is called at the internal address; any other as registered. */
  private targetOf(url: string, origin: string): string {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
    const base = this.app.publicUrl;
    return url.startsWith(`${base}/`) ? `${origin}${url.slice(base.length)}` : parsed.href;
  }
}

const stored = (row: SandboxWebhookEntity): StoredWebhook => ({
  id: row.remoteId,
  account: row.account,
  events: row.events,
  url: row.url,
  name: row.name,
  secret: row.secret,
  status: row.status,
  data: row.data,
  createdAt: row.createdAt,
});
