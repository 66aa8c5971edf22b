import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectSessionsModule } from '../connect-sessions/connect-sessions.module';
import { ConnectionsModule } from '../connections/connections.module';
import { FLOW_STATE_STORE } from '../providers/core/oauth-strategy';
import { OAuthStateEntity } from './oauth-state.entity';
import { OAuthStateStore } from './oauth-state.store';
import { OAuthController } from './oauth.controller';
import { OAuthFlowService } from './oauth-flow.service';
import { OAuthHousekeeping } from './oauth-housekeeping';

/** The state store is global: every provider module builds its Passport strategy with it. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OAuthStateEntity]), ConnectSessionsModule, ConnectionsModule],
  controllers: [OAuthController],
  providers: [
    OAuthStateStore,
    // The Passport strategies' state store (providers/core knows it only by this token).
    { provide: FLOW_STATE_STORE, useExisting: OAuthStateStore },
    OAuthFlowService,
    OAuthHousekeeping,
  ],
  exports: [OAuthStateStore, FLOW_STATE_STORE],
})
export class OAuthModule {}
