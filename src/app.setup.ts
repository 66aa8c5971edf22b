import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, AppModuleOptions } from './app.module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonBody } from './common/json-body';
import { assignRequestId } from './common/request-id';
import { createValidationPipe } from './common/validation';
import { CredentialsFastPath } from './refresh/credentials-fast-path';

export const BODY_LIMIT = '100kb';

/** Everything main.ts and the tests share, so the tests exercise the app exactly as it runs. */
export async function createApp(options: AppModuleOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(options), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    assignRequestId(req, res);
    next();
  });
  app.use(jsonBody(BODY_LIMIT, '100 kB'));
  app.useGlobalPipes(createValidationPipe());
  app.disable('x-powered-by');
  // No ETag: hashing every JSON body costs time, and credentials are Cache-Control: no-store anyway.
  app.set('etag', false);
  app.set('trust proxy', false);
  app.enableShutdownHooks();
  app.get(CredentialsFastPath).install(app.getHttpServer(), app.getHttpAdapter().getInstance());
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', customSiteTitle: 'OAuth connection service' });
  return app;
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('OAuth connection service')
    .setDescription(
      'Connects your users to ClickFunnels 2.0, ClickFunnels Classic, Lightfunnels, Keap, Webflow and other OAuth 2.0 providers, keeps their tokens encrypted and fresh, and hands your backend valid credentials. Every error has the shape ErrorResponse with a stable `code`.',
    )
    .setVersion('0.1.0')
    .setLicense('UNLICENSED', 'https://choosealicense.com/no-permission/')
    .addServer('/', 'This service')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'One of the API_KEYS' })
    .addTag('connections', 'Stored connections and their credentials')
    .addTag('providers', 'Configured OAuth providers')
    .addTag('health', 'Liveness and readiness probes (no API key)')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controller, method) => method,
  });
  // Operations without @ApiBearerAuth are the @Public() ones: say so explicitly.
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      if (operation && typeof operation === 'object' && 'responses' in operation && !operation.security) operation.security = [];
    }
  }
  return document;
}
