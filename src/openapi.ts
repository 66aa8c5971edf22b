/**
 * `npm run openapi`: writes the OpenAPI document of the app to openapi.json, keys sorted so the file
 * is deterministic and diffs stay readable. Runs Nest in preview mode: no database, no providers.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppModule } from './app.module';
import { buildOpenApiDocument } from './app.setup';
import { createHttpAdapter } from './http/http-adapter';

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function serializeOpenApi(document: object): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}

export async function generateOpenApi(): Promise<string> {
  const app = await NestFactory.create(AppModule.register(), createHttpAdapter(), { preview: true, logger: false });
  try {
    return serializeOpenApi(buildOpenApiDocument(app));
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  const target = path.resolve(__dirname, '..', 'openapi.json');
  generateOpenApi().then(
    (json) => {
      fs.writeFileSync(target, json);
      console.log(`wrote ${target}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
