import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SANDBOX_ENTITIES } from './sandbox.entities';

/** Provider simulators under /sandbox/{provider}/…; mounted only when the sandbox is on. */
@Module({
  imports: [TypeOrmModule.forFeature(SANDBOX_ENTITIES)],
})
export class SandboxModule {}
