import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { DestinationStream } from 'pino';
import { appConfig } from '../config/app.config';
import { createRootLogger } from './logging';

/** The app's root pino logger (a pino.Logger), for code that logs requests outside Express. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

@Global()
@Module({})
export class LoggingModule {
  /** `stream`: where JSON logs go (default stdout); tests pass a capturing stream. */
  static register(stream?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: ROOT_LOGGER, inject: [appConfig.KEY], useFactory: (app: ConfigType<typeof appConfig>) => createRootLogger(app.logLevel, stream) }],
      exports: [ROOT_LOGGER],
    };
  }
}
