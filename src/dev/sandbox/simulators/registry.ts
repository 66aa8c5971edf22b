import { ClickfunnelsClassicSimulator } from './clickfunnels-classic.simulator';
import { ClickfunnelsSimulator } from './clickfunnels.simulator';
import { KeapSimulator } from './keap.simulator';
import { LightfunnelsSimulator } from './lightfunnels.simulator';
import type { ProviderSimulator, SandboxProviderName } from './simulator';
import { WebflowSimulator } from './webflow.simulator';

/** The simulators, by the provider name in their URLs (`/sandbox/<name>/…`): one per built-in provider. */
export const SANDBOX_SIMULATORS: Readonly<Record<SandboxProviderName, ProviderSimulator>> = Object.freeze({
  keap: new KeapSimulator(),
  webflow: new WebflowSimulator(),
  clickfunnels: new ClickfunnelsSimulator(),
  'clickfunnels-classic': new ClickfunnelsClassicSimulator(),
  lightfunnels: new LightfunnelsSimulator(),
});

/** The simulator of a provider name, or undefined (a generic provider, a typo). */
export function simulatorFor(name: string): ProviderSimulator | undefined {
  return Object.hasOwn(SANDBOX_SIMULATORS, name) ? SANDBOX_SIMULATORS[name as SandboxProviderName] : undefined;
}
