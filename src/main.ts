// First: OpenTelemetry, when configured, must be started before the modules it instruments are loaded.
import './telemetry/bootstrap';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createApp } from './app.setup';
import { appConfig } from './config/app.config';
import { ConfigError, loadDotEnv } from './config/env';
import { securityConfig } from './crypto/secrets.config';

/**
 * `.env` is read first: the root logger's format and level and NODE_ENV are decided before Nest's
 * ConfigModule would read it.
 */
async function bootstrap(): Promise<void> {
  loadDotEnv();
  const app = await createApp();
  const { port, host, publicUrl, nodeEnv } = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  const { devSecretFiles } = app.get<ConfigType<typeof securityConfig>>(securityConfig.KEY);
  await app.listen(port, host);
  const logger = new Logger('Bootstrap');
  if (devSecretFiles.encryptionKeys) {
    logger.warn(
      `Development encryption key is in ${devSecretFiles.encryptionKeys}; set ENCRYPTION_KEYS for anything but local development`,
    );
  }
  if (nodeEnv === 'development') {
    // For the person at the terminal, not for a log collector: a block of plain text rather than a log
    // event (which would be one line with a timestamp and level, or JSON). Log lines are written
    // synchronously too (common/logging.ts), so it comes out after them, as the last thing at start-up.
    process.stdout.write(startupBlock(publicUrl, devSecretFiles.apiKeys));
    return;
  }
  logger.log(`Listening on ${publicUrl} (API docs: ${publicUrl}/docs)`);
  if (devSecretFiles.apiKeys) {
    // The path and a command that reads it, never the key itself.
    logger.log(
      `Development API key is in ${devSecretFiles.apiKeys}; try: curl -H "Authorization: Bearer $(cat ${shellWord(devSecretFiles.apiKeys)})" ${publicUrl}/connections`,
    );
  }
}

/** Where the service is, its docs, where the API key is (the file, never the key) and one request to try. */
function startupBlock(publicUrl: string, apiKeyFile: string | undefined): string {
  const bearer = apiKeyFile ? `$(cat ${shellWord(apiKeyFile)})` : '<one of API_KEYS>';
  return [
    '',
    '  OAuth connection service is running (development)',
    '',
    `    URL       ${publicUrl}`,
    `    API docs  ${publicUrl}/docs`,
    `    API key   ${apiKeyFile ? `in ${apiKeyFile}` : 'one of API_KEYS'}`,
    `    Try       curl -H "Authorization: Bearer ${bearer}" ${publicUrl}/connections`,
    '',
    '',
  ].join('\n');
}

/** A path as one shell word: as it is when it has nothing the shell would split or expand, else quoted. */
function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

bootstrap().catch((error: unknown) => {
  console.error(
    error instanceof ConfigError
      ? error.message
      : `Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
