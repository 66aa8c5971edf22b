import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { SandboxCallEntity } from './sandbox.entities';
import type { ProviderSimulator } from './simulators/simulator';

export interface CallRecord {
  endpoint: 'token' | 'revoke' | 'whoami' | 'api';
  /** API calls: `GET /contacts` (the route's pattern or the path, never the query string). */
  route?: string | null;
  grantType: string | null;
  grantId: string | null;
  status: number;
  error: string | null;
  /** When the call arrived (default: when it is recorded). */
  at?: Date;
}

/** The log of simulator calls tests read back (never a code or token). */
@Injectable()
export class SandboxCallsService {
  constructor(@InjectRepository(SandboxCallEntity) private readonly calls: Repository<SandboxCallEntity>) {}

  async record(provider: ProviderSimulator, call: CallRecord): Promise<void> {
    await this.calls.insert({
      provider: provider.name,
      endpoint: call.endpoint,
      route: call.route?.slice(0, 255) ?? null,
      // Caller input: keep the column's bounds.
      grantType: call.grantType?.slice(0, 64) ?? null,
      grantId: call.grantId,
      status: call.status,
      error: call.error?.slice(0, 64) ?? null,
      ...(call.at ? { createdAt: call.at } : {}),
    });
  }

  async list(provider: ProviderSimulator, filter: { endpoint?: string; grantType?: string }) {
    const rows = await this.calls.find({
      where: {
        provider: provider.name,
        ...(filter.endpoint ? { endpoint: filter.endpoint } : {}),
        ...(filter.grantType ? { grantType: filter.grantType } : {}),
      },
      order: { id: 'ASC' },
    });
    return rows.map((r) => ({
      id: Number(r.id),
      provider: r.provider,
      endpoint: r.endpoint,
      route: r.route,
      grantType: r.grantType,
      grantId: r.grantId,
      status: r.status,
      error: r.error,
      createdAt: r.createdAt.toISOString(),
    }));
  }

  async clear(provider: ProviderSimulator): Promise<number> {
    const result = await this.calls.delete({ provider: provider.name });
    return result.affected ?? 0;
  }
}
