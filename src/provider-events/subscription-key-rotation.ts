import { DataSource } from 'typeorm';
import { CipherContext, DecryptionError, TokenCipher } from '../crypto/token-cipher';
import { EventSubscriptionEntity } from './event-subscription.entity';
import { InboundEventEntity } from './inbound-event.entity';
import { EnvelopeColumn, InboundEventsRepository } from './inbound-events.repository';
import { subscriptionSecretContext, subscriptionTokenContext } from './subscription-context';

export interface SubscriptionRotationReport {
  rotated: number;
  /** Subscriptions whose secret or kept token could not be decrypted (its key already removed); left untouched. */
  failed: string[];
}

const repository = (dataSource: DataSource) =>
  new InboundEventsRepository(
    dataSource.getRepository(EventSubscriptionEntity),
    dataSource.getRepository(InboundEventEntity),
  );

const COLUMNS: { column: EnvelopeColumn; context: (id: string) => CipherContext }[] = [
  { column: 'secret', context: subscriptionSecretContext },
  { column: 'access_token', context: subscriptionTokenContext },
];

/**
 * Re-encrypts the providers' signing secrets of event subscriptions, and the tokens that queued
 * removals keep, under the current key (`npm run keys:rotate`, beside the connections' rotation):
 * removing the old key afterwards must not leave a subscription whose deliveries can no longer be
 * proven, nor a removal that can no longer be made.
 */
export async function rotateSubscriptionKeys(
  dataSource: DataSource,
  cipher: TokenCipher,
  batchSize = 500,
): Promise<SubscriptionRotationReport> {
  const repo = repository(dataSource);
  const report: SubscriptionRotationReport = { rotated: 0, failed: [] };
  for (const { column, context } of COLUMNS) {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await repo.findEnvelopesNotUnderKey(column, after, cipher.currentPrefix, batchSize);
      if (batch.length === 0) break;
      after = batch[batch.length - 1].id;
      for (const row of batch) {
        let next: string;
        try {
          next = cipher.reencrypt(row.envelope, context(row.id));
        } catch (error) {
          if (!(error instanceof DecryptionError)) throw error;
          report.failed.push(row.id);
          continue;
        }
        if (await repo.replaceEnvelope(column, row.id, row.envelope, next)) report.rotated++;
      }
    }
  }
  return report;
}

/** How many subscription secrets and kept tokens are still under another key than the current one. */
export function countSubscriptionsUnderRetiredKeys(dataSource: DataSource, cipher: TokenCipher): Promise<number> {
  return repository(dataSource).countEnvelopesNotUnderKey(cipher.currentPrefix);
}
