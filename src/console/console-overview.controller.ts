import { Controller, Get, Inject, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { tokenLifecycleConfig } from '../token-lifecycle/token-lifecycle.config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { CONNECTION_STATUSES } from '../connections/connection-status';
import { ConnectionsService } from '../connections/connections.service';
import { ConnectionStatsRepository } from '../connections/persistence/connection-stats.repository';
import { ProviderCatalog } from '../providers/core/provider-catalog';
import { RefreshHistory } from '../token-lifecycle/refresh-history';
import { columns, horizontalStacked } from './charts';
import { ConsoleExceptionFilter } from './console.filter';
import { ConsoleGuard } from './console.guard';
import { sendPage } from './console-views';

const HOUR_MS = 3_600_000;
const hourLabel = (at: Date) => `${String(at.getUTCHours()).padStart(2, '0')}:00`;

/** The overview: connections per provider and status, refreshes per hour, refreshes due, who must reconnect. */
@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleExceptionFilter)
@Controller('admin')
export class ConsoleOverviewController {
  constructor(
    private readonly stats: ConnectionStatsRepository,
    private readonly history: RefreshHistory,
    private readonly connections: ConnectionsService,
    private readonly catalog: ProviderCatalog,
    @Inject(tokenLifecycleConfig.KEY) private readonly lifecycle: ConfigType<typeof tokenLifecycleConfig>,
  ) {}

  @Get()
  async overview(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const now = new Date();
    const thisHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const leads = Object.fromEntries(this.catalog.list().map((p) => [p.name, p.settings.refreshLeadSeconds]));
    const [counts, hours, due, needsReauth, refreshFailed] = await Promise.all([
      this.stats.countByProviderAndStatus(),
      this.history.hourly(new Date(thisHour - 23 * HOUR_MS)),
      this.stats.dueByHour(leads, this.lifecycle.renewBeforeMs, 24, now),
      this.connections.list({ status: 'needs_reauth', limit: 50 }),
      this.connections.list({ status: 'refresh_failed', limit: 50 }),
    ]);

    const providers = [...new Set(counts.map((c) => c.provider))].sort();
    const matrix = providers.map((provider) => ({
      provider,
      byStatus: Object.fromEntries(
        CONNECTION_STATUSES.map((status) => [
          status,
          counts.find((c) => c.provider === provider && c.status === status)?.n ?? 0,
        ]),
      ),
    }));
    const total = counts.reduce((sum, c) => sum + c.n, 0);

    const last24 = Array.from({ length: 24 }, (_, i) => {
      const hour = new Date(thisHour - (23 - i) * HOUR_MS);
      const row = hours.find((h) => new Date(h.hour).getTime() === hour.getTime());
      return { hour: hourLabel(hour), succeeded: row?.succeeded ?? 0, failed: row?.failed ?? 0 };
    });
    const next24 = due.map((n, i) => ({ hour: hourLabel(new Date(thisHour + i * HOUR_MS)), due: n }));

    await sendPage(request, reply, 'overview', {
      title: 'Overview',
      page: 'overview',
      total,
      statuses: CONNECTION_STATUSES,
      matrix,
      last24,
      next24,
      refreshed24: last24.reduce((s, h) => s + h.succeeded, 0),
      failed24: last24.reduce((s, h) => s + h.failed, 0),
      due24: due.reduce((s, n) => s + n, 0),
      needingUser: [...needsReauth.data, ...refreshFailed.data],
      // Counted, not the length of the list (which stops at 50 of each).
      needingUserCount: counts
        .filter((c) => c.status === 'needs_reauth' || c.status === 'refresh_failed')
        .reduce((sum, c) => sum + c.n, 0),
      listCap: 50,
      moreNeedsReauth: needsReauth.nextCursor !== null,
      moreRefreshFailed: refreshFailed.nextCursor !== null,
      statusChart: horizontalStacked(
        'chart-status',
        'Connections per provider and status',
        matrix.map((m) => ({
          label: m.provider,
          parts: CONNECTION_STATUSES.map((s) => ({ name: s, value: m.byStatus[s] })),
        })),
      ),
      refreshChart: columns(
        'chart-refreshes',
        'Refreshes per hour over the last 24 hours, succeeded and failed (UTC)',
        last24.map((h) => ({
          label: h.hour,
          parts: [
            { name: 'succeeded', value: h.succeeded },
            { name: 'failed', value: h.failed },
          ],
        })),
      ),
      dueChart: columns(
        'chart-due',
        'Refreshes due in the next 24 hours, per hour (UTC; the first hour includes overdue ones)',
        next24.map((h) => ({ label: h.hour, parts: [{ name: 'due', value: h.due }] })),
      ),
    });
  }
}
