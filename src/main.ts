import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createApp } from './app.setup';
import { appConfig } from './config/app.config';
import { ConfigError } from './config/env';
import { securityConfig } from './crypto/secrets.config';

async function bootstrap(): Promise<void> {
  const app = await createApp();
  const { port, publicUrl } = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  const { devSecretFiles } = app.get<ConfigType<typeof securityConfig>>(securityConfig.KEY);
  await app.listen(port);
  const logger = new Logger('Bootstrap');
  logger.log(`Listening on ${publicUrl} (API docs: ${publicUrl}/docs)`);
  if (devSecretFiles.apiKeys) {
    // The path and a command that reads it, never the key itself.
    logger.log(
      `Development API key is in ${devSecretFiles.apiKeys}; try: curl -H "Authorization: Bearer $(cat ${devSecretFiles.apiKeys})" ${publicUrl}/connections`,
    );
  }
  if (devSecretFiles.encryptionKeys) {
    logger.warn(
      `Development encryption key is in ${devSecretFiles.encryptionKeys}; set ENCRYPTION_KEYS for anything but local development`,
    );
  }
}

bootstrap().catch((error: unknown) => {
  console.error(
    error instanceof ConfigError
      ? error.message
      : `Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
