import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { DataSource } from 'typeorm';

const KEEP_MS = 24 * 3_600_000;

/**
 * The simulators' tables would grow forever in a long-running development instance: every hour, what
 * is older than a day goes — codes, the call log, faults, created records, tokens that can no
 * longer be used (expired, rotated or revoked), and webhooks whose grant has no token left. Live tokens stay, so a connection made last week still
 * works against its simulator.
 */
@Injectable()
export class SandboxHousekeeping {
  private readonly logger = new Logger('Sandbox');

  constructor(private readonly dataSource: DataSource) {}

  @Cron(CronExpression.EVERY_HOUR)
  async purge(now = new Date()): Promise<Record<string, number>> {
    const before = new Date(now.getTime() - KEEP_MS);
    const purged: Record<string, number> = {};
    const run = async (table: string, where: string, params: unknown[]) => {
      const [, affected]: [unknown, number] = await this.dataSource.query(
        `DELETE FROM sandbox.${table} WHERE ${where}`,
        params,
      );
      purged[table] = affected;
    };
    await run('codes', 'created_at < $1', [before]);
    await run('calls', 'created_at < $1', [before]);
    await run('faults', 'created_at < $1', [before]);
    await run('records', 'created_at < $1', [before]);
    await run('tokens', 'created_at < $1 AND (revoked_at IS NOT NULL OR used_at IS NOT NULL OR expires_at < $2)', [
      before,
      now,
    ]);
    // A webhook lives as long as its grant has a token left (a real one lives until it is deleted).
    await run(
      'webhooks',
      'created_at < $1 AND NOT EXISTS (SELECT 1 FROM sandbox.tokens t WHERE t.grant_id = webhooks.grant_id)',
      [before],
    );
    if (Object.values(purged).some(Boolean)) this.logger.log(purged, 'purged old simulator rows');
    return purged;
  }
}
