import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The call budget of one provider, shared by every replica (RefreshBudget): `updated_at` is the next
 * free call slot; each refresh or whoami call reserves one, spaced by `<P>_REFRESH_RATE_PER_SECOND`.
 */
@Entity({ name: 'refresh_budgets' })
export class RefreshBudgetEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  provider!: string;

  /** Unused since the budget reserves slots (it was a token count); kept so no migration rewrites the table. */
  @Column({ type: 'double precision' })
  tokens!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
