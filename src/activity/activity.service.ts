import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ConnectionNotFound } from '../common/errors';
import { PageQuery } from '../common/page-query';
import { ConnectionStatus } from '../connections/connection-status';
import { ConnectionsRepository } from '../connections/persistence/connections.repository';
import { activityConfig } from './activity.config';
import { decodeActivityCursor, encodeActivityCursor } from './activity-cursor';
import { ActivityEntry, ActivityPage, STATUS_CLASS_NAMES } from './activity.dto';
import { ConnectionActivity } from './connection-activity';
import { ConnectionActivityEntity } from './connection-activity.entity';

export function toActivityEntry(row: ConnectionActivityEntity): ActivityEntry {
  return {
    type: row.type,
    at: row.createdAt.toISOString(),
    status: row.status as ConnectionStatus | null,
    previousStatus: row.previousStatus as ConnectionStatus | null,
    code: row.code,
    subscriptionId: row.subscriptionId,
    events: row.events,
    statusClass: row.statusClass === null ? null : STATUS_CLASS_NAMES[row.statusClass - 2],
    calls: row.calls,
  };
}

/** GET /connections/{id}/activity: keyset pages, newest first. */
@Injectable()
export class ActivityService {
  constructor(
    private readonly activity: ConnectionActivity,
    private readonly connections: ConnectionsRepository,
    @Inject(activityConfig.KEY) private readonly config: ConfigType<typeof activityConfig>,
  ) {}

  /** ACTIVITY_RETENTION_DAYS: how long entries are kept (the console says it). */
  get retentionDays(): number {
    return this.config.retentionDays;
  }

  /**
   * A page of the connection's entries. A deleted connection's entries are still answered until they
   * age out (ACTIVITY_RETENTION_DAYS); 404 connection_not_found only for an id that is neither a
   * connection nor has any entry kept (asked only when the page is empty).
   */
  async page(connectionId: string, query: PageQuery): Promise<ActivityPage> {
    const after = query.cursor ? decodeActivityCursor(query.cursor) : undefined;
    const rows = await this.activity.page(connectionId, query.limit + 1, after);
    if (
      !rows.length &&
      !(await this.connections.findById(connectionId)) &&
      !(after && (await this.activity.hasAny(connectionId)))
    )
      throw new ConnectionNotFound(connectionId);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      data: page.map(toActivityEntry),
      nextCursor: rows.length > query.limit && last ? encodeActivityCursor(last) : null,
    };
  }

  /** The newest `limit` entries (the console's timeline). */
  async latest(connectionId: string, limit: number): Promise<ActivityEntry[]> {
    return (await this.activity.page(connectionId, limit)).map(toActivityEntry);
  }
}
