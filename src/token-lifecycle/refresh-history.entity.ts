import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Refreshes per hour and provider, succeeded and failed, for the console's overview (RefreshHistory).
 * Each replica adds its counts every few seconds; hours older than a week are deleted.
 */
@Entity({ name: 'refresh_history' })
export class RefreshHistoryEntity {
  /** The start of the hour (UTC). */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'PK_refresh_history' })
  hour!: Date;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_refresh_history' })
  provider!: string;

  @Column({ type: 'integer', default: 0 })
  succeeded!: number;

  @Column({ type: 'integer', default: 0 })
  failed!: number;
}
