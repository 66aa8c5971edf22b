/**
 * `npm run keys:rotate`: re-encrypts every stored token, every token queued for revocation and every
 * PKCE verifier of a flow in progress
 * under the current (first) ENCRYPTION_KEYS key, then counts what is still under another key. Run it
 * after putting a new key first (on every replica); when it reports nothing failed and nothing left,
 * the old key can be removed. Exits 1 otherwise.
 * Uses DATABASE_URL, or the embedded Postgres under DATA_DIR (stop the service first in that case:
 * one embedded server per data directory).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from '../config/database.config';
import { ConfigError, loadDotEnv } from '../config/env';
import { loadSecurityConfig } from '../crypto/secrets.config';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from '../database/embedded-postgres';
import { typeormOptions } from '../database/typeorm-options';
import { ENTITIES } from '../entities';
import { countConnectionsUnderRetiredKeys, rotateConnectionKeys } from '../connections/key-rotation';
import { countStatesUnderRetiredKeys, rotateStateKeys } from '../oauth/state-key-rotation';
import { countRevocationsUnderRetiredKeys, rotateRevocationKeys } from '../revocations/revocation-key-rotation';
import { TokenCipher } from '../crypto/token-cipher';
import {
  countSubscriptionsUnderRetiredKeys,
  rotateSubscriptionKeys,
} from '../provider-events/subscription-key-rotation';

async function main(): Promise<number> {
  loadDotEnv();
  const security = loadSecurityConfig();
  const database = loadDatabaseConfig();
  let embedded: EmbeddedPostgresHandle | undefined;
  const url = database.url ?? (embedded = await startEmbeddedPostgres({ dataDir: database.embeddedDir })).url;
  const dataSource = await new DataSource({ ...typeormOptions(url, 2, ENTITIES), migrationsRun: false }).initialize();
  try {
    const cipher = new TokenCipher(security.keyring);
    const report = await rotateConnectionKeys(dataSource, cipher, {
      onBatch: (rotated) => console.log(JSON.stringify({ msg: 'keys:rotate progress', rotated })),
    });
    const states = await rotateStateKeys(dataSource, cipher);
    const queued = await rotateRevocationKeys(dataSource, cipher);
    const subscriptions = await rotateSubscriptionKeys(dataSource, cipher);
    // What is still under a retired key: rows that failed, or were written meanwhile by a replica that
    // does not have the new key first yet.
    const left = {
      connections: await countConnectionsUnderRetiredKeys(dataSource, cipher),
      oauthStates: await countStatesUnderRetiredKeys(dataSource, cipher),
      queuedRevocations: await countRevocationsUnderRetiredKeys(dataSource, cipher),
      eventSubscriptions: await countSubscriptionsUnderRetiredKeys(dataSource, cipher),
    };
    console.log(
      JSON.stringify({
        msg: 'keys:rotate done',
        currentKid: report.currentKid,
        rotated: report.rotated,
        failed: report.failed.length,
        failedIds: report.failed,
        oauthStates: { rotated: states.rotated, failed: states.failed.length },
        queuedRevocations: { rotated: queued.rotated, failed: queued.failed.length },
        eventSubscriptions: { rotated: subscriptions.rotated, failed: subscriptions.failed.length },
        leftUnderRetiredKeys: left,
      }),
    );
    const failed = report.failed.length + states.failed.length + queued.failed.length + subscriptions.failed.length;
    return failed || Object.values(left).some((n) => n > 0) ? 1 : 0;
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError
        ? error.message
        : `keys:rotate failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  },
);
