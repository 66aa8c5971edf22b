import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { loadAppConfig } from '../config/app.config';
import { env, parseEnv } from '../config/env';

const MB = 1024 * 1024;

const schema = z.object({
  /** Request bodies are buffered (so a call can be replayed after a refresh) up to this; above it 413. */
  PROXY_MAX_BODY_BYTES: env.positiveInt(10 * MB, 100 * MB),
  /** Longest wait for the provider's response headers, and for each chunk of its body after that. */
  PROXY_TIMEOUT_MS: env.positiveInt(30_000, 300_000),
});

export function loadProxyConfig(source = process.env) {
  const v = parseEnv(schema, source);
  return {
    maxBodyBytes: v.PROXY_MAX_BODY_BYTES,
    timeoutMs: v.PROXY_TIMEOUT_MS,
    /** Production: a target that resolves to a private address is refused unless its provider's base is one. */
    guardPrivateAddresses: loadAppConfig(source).nodeEnv === 'production',
  };
}

export const proxyConfig = registerAs('proxy', () => loadProxyConfig());
