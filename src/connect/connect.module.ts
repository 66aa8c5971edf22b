import { Module } from '@nestjs/common';
import { ConnectSessionsModule } from '../connect-sessions/connect-sessions.module';
import { ConnectPageController } from './connect-page.controller';
import { ObserveController } from './observe.controller';
import { SessionObserver } from './session-observer';

/** The browser's side of a connect session: the hosted picker and the observe channel. */
@Module({
  imports: [ConnectSessionsModule],
  controllers: [ConnectPageController, ObserveController],
  providers: [SessionObserver],
})
export class ConnectModule {}
