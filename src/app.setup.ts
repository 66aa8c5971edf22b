import fastifyCookie from '@fastify/cookie';
import fastifyView from '@fastify/view';
import { consoleViewOptions } from './console/console-views';
import { INestApplication, Type } from '@nestjs/common';
import { DiscoveryService, NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { createNestLogger, createRootLogger } from './common/logging';
import { createValidationPipe } from './common/validation';
import { loadAppConfig } from './config/app.config';
import { createHttpAdapter } from './http/http-adapter';
import { BeforeBodyCheck, declareRouteRequirements, registerCheckBeforeBody } from './http/check-before-body';
import { authorize } from './auth/api-key.guard';
import { ApiKeys } from './auth/api-keys';
import type { Scope } from './auth/scopes';
import { proxyPathItem } from './proxy/proxy.openapi';
import { toOpenApi31 } from './http/openapi-3-1';
import { addWebhooks } from './webhooks/webhooks.openapi';

/** A guard with checks that can run before the body is read (ConsoleGuard). */
interface BeforeBodyGuard {
  beforeBody: BeforeBodyCheck;
}

export interface CreateAppOptions {
  /** Where logs go (default stdout); tests pass a capturing stream. */
  logStream?: DestinationStream;
}

/** Everything main.ts and the tests share, so the tests exercise the app exactly as it runs. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  // One root pino logger for the app and its request logs, made before Nest so Fastify can log with it:
  // readable lines in development, JSON lines in production and tests.
  const { logLevel, nodeEnv } = loadAppConfig();
  const logger = createRootLogger(logLevel, { nodeEnv, stream: options.logStream });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(), createHttpAdapter(logger), {
    bufferLogs: true,
    // Our own parsers (http/body-parsers.ts), registered with the adapter.
    bodyParser: false,
  });
  app.useLogger(createNestLogger(logger));
  // Authentication before the body: the key check of every route that reads one (the guard's own check,
  // run in onRequest), and the console's session (ConsoleGuard.beforeBody). Declared before init, when
  // Nest registers the routes with Fastify.
  const apiKeys = app.get(ApiKeys);
  const controllers = app
    .get(DiscoveryService)
    .getControllers()
    .map((wrapper) => wrapper.metatype)
    .filter((metatype): metatype is Type => typeof metatype === 'function');
  declareRouteRequirements(controllers, (guard) => {
    if (typeof guard !== 'function' || typeof (guard.prototype as Partial<BeforeBodyGuard>).beforeBody !== 'function')
      return undefined;
    const instance = app.get<BeforeBodyGuard>(guard, { strict: false });
    return (request, reply) => instance.beforeBody(request, reply);
  });
  registerCheckBeforeBody(app.getHttpAdapter().getInstance(), (request, scope) =>
    authorize(apiKeys, request, scope as Scope),
  );
  // The OAuth flow's browser-binding cookie (set on authorize, read and cleared on the callback).
  await app.register(fastifyCookie);
  // The console's server-rendered pages (src/console/views).
  await app.register(fastifyView, consoleViewOptions(nodeEnv === 'production'));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'OAuth connection service',
  });
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
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description:
        'An API key: one made with POST /api-keys or `npm run api-keys:create` (`ock_…`), or one of API_KEYS. Each operation names the scope it needs (`x-required-scopes`); `admin` allows everything.',
    })
    .addTag('connections', 'Stored connections and their credentials')
    .addTag('connect-sessions', "One-time links that send a user through a provider's OAuth flow")
    .addTag('providers', 'Configured OAuth providers')
    .addTag('api-keys', 'API keys and their scopes (admin)')
    .addTag('webhooks', 'The webhook events sent to WEBHOOK_URL (`webhooks`), their deliveries, and redelivery')
    .addTag('proxy', "The connection's provider API, with its token injected")
    .addTag('health', 'Liveness and readiness probes (no API key)')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controller, method) => method,
  });
  document.paths['/proxy/{connectionId}/{path}'] = proxyPathItem();
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem) as unknown[]) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const op = operation as { security?: unknown; description?: string; 'x-required-scopes'?: string[] };
      // Operations without @RequireScope are the @Public() ones: say so explicitly.
      if (!op.security) op.security = [];
      const scopes = op['x-required-scopes'];
      if (scopes?.length && !op.description?.includes('Requires an API key')) {
        const needs = `Requires an API key with the \`${scopes[0]}\` scope${scopes[0] === 'admin' ? '' : ' (or `admin`)'}.`;
        op.description = op.description ? `${op.description}\n\n${needs}` : needs;
      }
    }
  }
  addWebhooks(document);
  return toOpenApi31(document);
}
