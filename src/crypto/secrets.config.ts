import { registerAs } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { generateKeyringSpec, Keyring, parseKeyring } from './keyring';
import { loadAppConfig } from '../config/app.config';
import { ConfigError, env, parseEnv } from '../config/env';

const schema = z.object({
  API_KEYS: env
    .list()
    .pipe(
      z
        .array(z.string().min(16, 'each key must be at least 16 characters'))
        .min(1, 'must list at least one key')
        .refine((keys) => new Set(keys).size === keys.length, 'lists the same key twice'),
    )
    .optional(),
  ENCRYPTION_KEYS: z.string().optional(),
  // How often each replica re-reads the api_keys table: a revoked key is refused everywhere within it
  // (plus one query); at most 2.5 s, so the documented 5 s holds with room for a slow read.
  API_KEY_RELOAD_MS: env.positiveInt(2000, 2500),
});

export interface SecurityConfig {
  /** API_KEYS: admin keys named env-1, env-2, … besides the keys of the api_keys table. */
  apiKeys: string[];
  apiKeyReloadMs: number;
  keyring: Keyring;
  /** Files the development defaults were read from or written to (paths only, never contents). */
  devSecretFiles: { apiKeys?: string; encryptionKeys?: string };
}

/**
 * Outside production a missing secret is generated once under DATA_DIR and reused on every start,
 * so `npm start` works with no set-up and stored tokens stay readable across restarts.
 */
function devSecret(dataDir: string, file: string, generate: () => string): { value: string; file: string } {
  const target = path.join(dataDir, file);
  if (!fs.existsSync(target)) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o711 });
    // 'wx' fails if another process created it first; then read theirs.
    try {
      fs.writeFileSync(target, `${generate()}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return { value: fs.readFileSync(target, 'utf8').trim(), file: target };
}

export function loadSecurityConfig(source = process.env): SecurityConfig {
  const app = loadAppConfig(source);
  const vars = parseEnv(schema, source);
  const production = app.nodeEnv === 'production';
  const missing = [!vars.API_KEYS && 'API_KEYS', !vars.ENCRYPTION_KEYS && 'ENCRYPTION_KEYS'].filter(
    Boolean,
  ) as string[];
  if (production && missing.length) {
    throw new ConfigError(missing.map((name) => `${name}: is required when NODE_ENV=production`));
  }
  const devSecretFiles: SecurityConfig['devSecretFiles'] = {};
  let apiKeys = vars.API_KEYS;
  if (!apiKeys) {
    const secret = devSecret(app.dataDir, 'api-key', () => `dev_${randomBytes(24).toString('base64url')}`);
    apiKeys = [secret.value];
    devSecretFiles.apiKeys = secret.file;
  }
  let keyringSpec = vars.ENCRYPTION_KEYS;
  if (!keyringSpec) {
    const secret = devSecret(app.dataDir, 'encryption-keys', () => generateKeyringSpec('dev1'));
    keyringSpec = secret.value;
    devSecretFiles.encryptionKeys = secret.file;
  }
  let keyring: Keyring;
  try {
    keyring = parseKeyring(keyringSpec);
  } catch (error) {
    const where = devSecretFiles.encryptionKeys ? ` (read from ${devSecretFiles.encryptionKeys})` : '';
    throw new ConfigError([`ENCRYPTION_KEYS${where}: ${(error as Error).message}`]);
  }
  return { apiKeys, apiKeyReloadMs: vars.API_KEY_RELOAD_MS, keyring, devSecretFiles };
}

export const securityConfig = registerAs('security', () => loadSecurityConfig());
