import { ClickfunnelsClassicModule } from './clickfunnels-classic/clickfunnels-classic.module';
import { ClickfunnelsModule } from './clickfunnels/clickfunnels.module';
import { KeapModule } from './keap/keap.module';
import { LightfunnelsModule } from './lightfunnels/lightfunnels.module';
import { WebflowModule } from './webflow/webflow.module';

/** The built-in providers: a folder each, and one line here. Their specs drive configuration. */
export const BUILT_IN_PROVIDER_MODULES = [
  ClickfunnelsModule,
  ClickfunnelsClassicModule,
  KeapModule,
  LightfunnelsModule,
  WebflowModule,
] as const;
