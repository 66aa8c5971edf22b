/**
 * `npm run keys:rotate`: re-encrypts every stored token under the current (first) ENCRYPTION_KEYS key.
 * Run it after putting a new key first; when it reports no failures, the old key can be removed.
 * Uses DATABASE_URL, or the embedded Postgres under DATA_DIR (stop the service first in that case:
 * one embedded server per data directory).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from '../config/database.config';
import { ConfigError } from '../config/env';
import { loadSecurityConfig } from '../crypto/secrets.config';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from '../database/embedded-postgres';
import { typeormOptions } from '../database/typeorm-options';
import { ENTITIES } from '../entities';
import { rotateConnectionKeys } from '../connections/key-rotation';
import { TokenCipher } from '../crypto/token-cipher';

async function main(): Promise<number> {
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
    console.log(
      JSON.stringify({
        msg: 'keys:rotate done',
        currentKid: report.currentKid,
        rotated: report.rotated,
        failed: report.failed.length,
        failedIds: report.failed,
      }),
    );
    return report.failed.length ? 1 : 0;
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
