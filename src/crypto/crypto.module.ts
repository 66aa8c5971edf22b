import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { securityConfig } from './secrets.config';
import { TokenCipher } from './token-cipher';

@Global()
@Module({
  providers: [
    {
      provide: TokenCipher,
      inject: [securityConfig.KEY],
      useFactory: (security: ConfigType<typeof securityConfig>) => new TokenCipher(security.keyring),
    },
  ],
  exports: [TokenCipher],
})
export class CryptoModule {}
