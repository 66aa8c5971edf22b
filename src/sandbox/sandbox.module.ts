import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SANDBOX_ENTITIES } from './sandbox.entities';
import { SandboxApiController } from './sandbox-api.controller';
import { SandboxApiService } from './sandbox-api.service';
import { SandboxAuthorizeService } from './sandbox-authorize.service';
import { SandboxCallsService } from './sandbox-calls.service';
import { SandboxController } from './sandbox.controller';
import { SandboxFaultsService } from './sandbox-faults.service';
import { SandboxGrantsService } from './sandbox-grants.service';
import { sandboxFormBody } from './sandbox-http';
import { SandboxOAuthService } from './sandbox-oauth.service';

/** Provider simulators under /sandbox/{provider}/…; mounted only when the sandbox is on. */
@Module({
  imports: [TypeOrmModule.forFeature(SANDBOX_ENTITIES)],
  controllers: [SandboxController, SandboxApiController],
  providers: [SandboxGrantsService, SandboxCallsService, SandboxFaultsService, SandboxAuthorizeService, SandboxOAuthService, SandboxApiService],
})
export class SandboxModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // The app parses JSON only; the simulators also speak form-urlencoded (consent form, Keap, Webflow).
    consumer.apply(sandboxFormBody()).forRoutes(SandboxController, SandboxApiController);
  }
}
