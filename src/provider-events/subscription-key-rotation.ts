import { DataSource } from 'typeorm';
import { DecryptionError, TokenCipher } from '../crypto/token-cipher';
import { EventSubscriptionEntity } from './event-subscription.entity';
import { InboundEventEntity } from './inbound-event.entity';
import { InboundEventsRepository } from './inbound-events.repository';
import { subscriptionSecretContext } from './subscription-context';

export interface SubscriptionRotationReport {
  rotated: number;
  /** Subscriptions whose secret could not be decrypted (its key already removed); left untouched. */
  failed: string[];
}

const repository = (dataSource: DataSource) =>
  new InboundEventsRepository(
    dataSource.getRepository(EventSubscriptionEntity),
    dataSource.getRepository(InboundEventEntity),
  );

/**
 * Re-encrypts the providers' signing secrets of event subscriptions under the current key
 * (`npm run keys:rotate`, beside the connections' rotation): removing the old key afterwards must not
 * leave a subscription whose deliveries can no longer be proven.
 */
export async function rotateSubscriptionKeys(
  dataSource: DataSource,
  cipher: TokenCipher,
  batchSize = 500,
): Promise<SubscriptionRotationReport> {
  const repo = repository(dataSource);
  const report: SubscriptionRotationReport = { rotated: 0, failed: [] };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch = await repo.findSecretsNotUnderKey(after, cipher.currentPrefix, batchSize);
    if (batch.length === 0) return report;
    after = batch[batch.length - 1].id;
    for (const row of batch) {
      let next: string;
      try {
        next = cipher.reencrypt(row.secret, subscriptionSecretContext(row.id));
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        report.failed.push(row.id);
        continue;
      }
      if (await repo.replaceSecret(row.id, row.secret, next)) report.rotated++;
    }
  }
}

/** How many subscription secrets are still under another key than the current one. */
export function countSubscriptionsUnderRetiredKeys(dataSource: DataSource, cipher: TokenCipher): Promise<number> {
  return repository(dataSource).countSecretsNotUnderKey(cipher.currentPrefix);
}
