import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { BODY_LIMIT_BYTES } from '../../http/body-parsers';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SANDBOX_ENTITIES } from './sandbox.entities';
import { SandboxApiController } from './sandbox-api.controller';
import { SandboxApiService } from './sandbox-api.service';
import { SandboxAuthorizeService } from './sandbox-authorize.service';
import { SandboxCallsService } from './sandbox-calls.service';
import { SandboxController } from './sandbox.controller';
import { SandboxFaultsService } from './sandbox-faults.service';
import { SandboxGrantsService } from './sandbox-grants.service';
import { acceptFormBodies } from './sandbox-http';
import { SandboxOAuthService } from './sandbox-oauth.service';
import { SandboxRecordsService } from './sandbox-records.service';
import { SandboxSchema } from './sandbox-schema';
import { SandboxHousekeeping } from './sandbox-housekeeping';
import { SandboxWebhooksController } from './sandbox-webhooks.controller';
import { SandboxWebhooksService } from './sandbox-webhooks.service';

/**
 * Provider simulators under /sandbox/{provider}/…; mounted only when the sandbox is on. One simulator
 * class per provider (simulators/, registry.ts); the services and controllers here are shared.
 */
@Module({
  imports: [TypeOrmModule.forFeature(SANDBOX_ENTITIES)],
  controllers: [SandboxController, SandboxApiController, SandboxWebhooksController],
  providers: [
    SandboxSchema,
    SandboxHousekeeping,
    SandboxGrantsService,
    SandboxCallsService,
    SandboxFaultsService,
    SandboxAuthorizeService,
    SandboxOAuthService,
    SandboxRecordsService,
    SandboxApiService,
    SandboxWebhooksService,
  ],
})
export class SandboxModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    // The app parses JSON only; the simulators also speak form-urlencoded (consent form, Keap, Webflow).
    acceptFormBodies(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), BODY_LIMIT_BYTES);
  }
}
