import { Module } from '@nestjs/common';
import { providerModuleMetadata } from '../provider-module';
import { KeapProvider } from './keap.provider';
import { KeapStrategy } from './keap.strategy';

@Module(providerModuleMetadata('keap', (settings, http) => new KeapProvider(settings, http), KeapStrategy))
export class KeapModule {}
