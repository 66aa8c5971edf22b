import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TokenLifecycleModule } from '../token-lifecycle/token-lifecycle.module';
import { proxyConfig } from './proxy.config';
import { ProxyController } from './proxy.controller';
import { ProxyService } from './proxy.service';

/** `/proxy/{connectionId}/…`: provider API calls with the connection's token injected. */
@Module({
  imports: [ConfigModule.forFeature(proxyConfig), TokenLifecycleModule],
  controllers: [ProxyController],
  providers: [ProxyService],
  exports: [ProxyService],
})
export class ProxyModule {}
