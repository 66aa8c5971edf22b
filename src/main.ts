import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.setup';
import { loadAppConfig } from './config/app.config';
import { ConfigError } from './config/env';
import { loadSecurityConfig } from './config/security.config';

async function bootstrap(): Promise<void> {
  const app = await createApp();
  const { port, publicUrl } = loadAppConfig();
  await app.listen(port);
  const logger = new Logger('Bootstrap');
  logger.log(`Listening on ${publicUrl} (API docs: ${publicUrl}/docs)`);
  const { devSecretFiles } = loadSecurityConfig();
  if (devSecretFiles.apiKeys) {
    // The path and a command that reads it, never the key itself.
    logger.log(`Development API key is in ${devSecretFiles.apiKeys}; try: curl -H "Authorization: Bearer $(cat ${devSecretFiles.apiKeys})" ${publicUrl}/connections`);
  }
  if (devSecretFiles.encryptionKeys) {
    logger.warn(`Development encryption key is in ${devSecretFiles.encryptionKeys}; set ENCRYPTION_KEYS for anything but local development`);
  }
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('Failed to start:', error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exit(1);
});
