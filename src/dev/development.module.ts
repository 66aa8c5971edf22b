import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import { PROVIDER_STAND_INS } from '../providers/providers.config';
import { DevModule } from './page/dev.module';
import { SandboxStandIns } from './sandbox/sandbox-stand-ins';
import { SandboxModule } from './sandbox/sandbox.module';

/**
 * Development only: the provider simulators (in their own `sandbox` schema) and the development page
 * at `/`. Production never loads it (app.module.ts requires it only when the sandbox is on, which
 * NODE_ENV=production refuses) and the Docker image does not contain it. Global so the providers
 * module sees its stand-ins for providers without credentials.
 */
@Global()
@Module({
  imports: [SandboxModule, DevModule],
  providers: [
    {
      provide: PROVIDER_STAND_INS,
      inject: [appConfig.KEY],
      useFactory: (app: ConfigType<typeof appConfig>) => new SandboxStandIns(app.publicUrl, app.internalUrl),
    },
  ],
  exports: [PROVIDER_STAND_INS],
})
export class DevelopmentModule {}
