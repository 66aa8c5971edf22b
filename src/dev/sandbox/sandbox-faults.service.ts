import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { Repository } from 'typeorm';
import { z } from 'zod';
import { SandboxFaultEntity } from './sandbox.entities';
import { CallRecord, SandboxCallsService } from './sandbox-calls.service';
import { ProviderSimulator, quotaExceeded } from './simulators/simulator';
import { invalidRequest, SandboxError, SandboxReply } from './simulators/wire';

/** token: code exchange and refresh; refresh: refresh only; revoke; whoami: whoami API calls; api: every API call. */
export const FAULT_ENDPOINTS = ['token', 'refresh', 'revoke', 'whoami', 'api'] as const;
export const FAULT_KINDS = [
  'status_500',
  'status_503',
  'rate_limit',
  'non_json',
  'no_access_token',
  'error_200',
  'invalid_grant',
  'invalid_client',
  'invalid_token',
  'redirect',
  'slow',
] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];
type FaultKind = (typeof FAULT_KINDS)[number];

const faultRequest = z.strictObject({
  endpoint: z.enum(FAULT_ENDPOINTS),
  kind: z.enum(FAULT_KINDS),
  // Seconds or an HTTP date, sent verbatim as Retry-After.
  retryAfter: z
    .union([z.number().int().min(0).max(86_400).transform(String), z.string().regex(/^[\x20-\x7e]{1,64}$/)])
    .optional(),
  delayMs: z.number().int().min(0).max(120_000).default(0),
  remaining: z.number().int().min(1).max(10_000).default(1),
});

interface TakenFault {
  kind: FaultKind;
  retryAfter: string | null;
  delayMs: number;
}

/** What a handler produced: the reply and, when known, the grant it concerned (for the call log). */
export interface Outcome {
  reply: SandboxReply;
  grantId?: string | null;
}

export interface CallContext {
  endpoint: CallRecord['endpoint'];
  /** API calls: the route, for the call log. */
  route?: string;
  grantType?: string | null;
  /** Faults of these endpoints apply to this call. */
  faults: FaultEndpoint[];
}

/** Test-only switches that make the next calls of a simulator misbehave, and the wrapper that applies them. */
@Injectable()
export class SandboxFaultsService {
  constructor(
    @InjectRepository(SandboxFaultEntity) private readonly faults: Repository<SandboxFaultEntity>,
    private readonly calls: SandboxCallsService,
  ) {}

  async add(provider: ProviderSimulator, body: unknown) {
    const parsed = faultRequest.safeParse(body);
    if (!parsed.success) {
      throw invalidRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    }
    const f = parsed.data;
    const saved = await this.faults.save(
      this.faults.create({
        provider: provider.name,
        endpoint: f.endpoint,
        kind: f.kind,
        retryAfter: f.retryAfter ?? null,
        delayMs: f.delayMs,
        remaining: f.remaining,
      }),
    );
    return {
      id: Number(saved.id),
      provider: saved.provider,
      endpoint: saved.endpoint,
      kind: saved.kind,
      retryAfter: saved.retryAfter,
      delayMs: saved.delayMs,
      remaining: saved.remaining,
    };
  }

  async clear(provider: ProviderSimulator): Promise<number> {
    const result = await this.faults.delete({ provider: provider.name });
    return result.affected ?? 0;
  }

  /** Consumes one use of the oldest matching fault; concurrent calls never share a use. */
  async take(provider: ProviderSimulator, endpoints: FaultEndpoint[]): Promise<TakenFault | null> {
    const [rows]: [Array<{ kind: FaultKind; retry_after: string | null; delay_ms: number }>, number] =
      await this.faults.query(
        `WITH next AS (
         SELECT id FROM sandbox.faults
         WHERE provider = $1 AND endpoint = ANY($2::varchar[]) AND remaining > 0
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       UPDATE sandbox.faults f SET remaining = f.remaining - 1 FROM next WHERE f.id = next.id
       RETURNING f.kind, f.retry_after, f.delay_ms`,
        [provider.name, endpoints],
      );
    const row = rows[0];
    return row ? { kind: row.kind, retryAfter: row.retry_after, delayMs: row.delay_ms } : null;
  }

  /** Runs one simulator call: applies a pending fault, turns SandboxErrors into replies, records the call. */
  async run(provider: ProviderSimulator, ctx: CallContext, handler: () => Promise<Outcome>): Promise<SandboxReply> {
    // When the call reached the simulator, before any of its own queries: what a provider's rate
    // limiter would see (the bench's busiest-second figure reads it).
    const arrivedAt = new Date();
    const fault = await this.take(provider, ctx.faults);
    let outcome: Outcome;
    let error: string | null = null;
    if (fault && fault.kind !== 'slow') {
      const api = ctx.endpoint === 'api' || ctx.endpoint === 'whoami';
      outcome = { reply: faultReply(provider, fault, api) };
      error = `fault:${fault.kind}`;
    } else {
      if (fault) await sleep(fault.delayMs);
      try {
        outcome = await handler();
      } catch (e) {
        if (!(e instanceof SandboxError)) throw e;
        outcome = { reply: e.toReply(), grantId: e.grantId };
        error = e.error;
      }
    }
    await this.calls.record(provider, {
      endpoint: ctx.endpoint,
      route: ctx.route ?? null,
      grantType: ctx.grantType ?? null,
      grantId: outcome.grantId ?? null,
      status: outcome.reply.status,
      error,
      at: arrivedAt,
    });
    return outcome.reply;
  }
}

/** The reply a fault puts in place of the real one; an API call's 429 and 401 come in the provider's API shape. */
function faultReply(provider: ProviderSimulator, fault: TakenFault, api: boolean): SandboxReply {
  const oauthError = (status: number, error: string, description: string, headers: Record<string, string> = {}) =>
    new SandboxError(status, error, description, headers).toReply();
  switch (fault.kind) {
    case 'status_500':
      return oauthError(500, 'server_error', 'Simulated internal error');
    case 'status_503':
      return oauthError(
        503,
        'temporarily_unavailable',
        'Simulated outage',
        fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {},
      );
    case 'rate_limit':
      return api ? provider.rateLimited(fault.retryAfter ?? '1') : quotaExceeded(fault.retryAfter ?? '1');
    case 'non_json':
      return {
        status: 200,
        html: '<!doctype html><html><body><h1>We&#39;ll be right back</h1><p>Scheduled maintenance.</p></body></html>',
      };
    case 'no_access_token':
      return { status: 200, json: { token_type: 'bearer' } };
    case 'error_200':
      return { status: 200, json: { error: 'invalid_grant', error_description: 'Simulated error in a 200 response' } };
    case 'invalid_grant':
      return oauthError(400, 'invalid_grant', 'Simulated invalid_grant: the grant is invalid, expired or revoked');
    case 'invalid_client':
      return oauthError(401, 'invalid_client', 'Simulated invalid_client');
    case 'invalid_token':
      return api
        ? provider.unauthorized('simulated')
        : oauthError(401, 'invalid_token', 'Simulated invalid_token', {
            'WWW-Authenticate': 'Bearer error="invalid_token"',
          });
    case 'redirect':
      // Like a provider bouncing API clients to its login page.
      return { status: 302, location: `/sandbox/${provider.name}/authorize` };
    case 'slow':
      throw new Error('slow faults do not replace the reply');
  }
}
