import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A token bucket per provider, shared by every replica: each refresh or whoami call takes one token;
 * tokens come back at the provider's `<P>_REFRESH_RATE_PER_SECOND`.
 */
@Entity({ name: 'refresh_budgets' })
export class RefreshBudgetEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ type: 'double precision' })
  tokens!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
