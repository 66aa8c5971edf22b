import { Module } from '@nestjs/common';
import { providerModuleMetadata } from '../provider-module';
import { WebflowProvider } from './webflow.provider';
import { WebflowStrategy } from './webflow.strategy';

@Module(providerModuleMetadata('webflow', (settings, http) => new WebflowProvider(settings, http), WebflowStrategy))
export class WebflowModule {}
