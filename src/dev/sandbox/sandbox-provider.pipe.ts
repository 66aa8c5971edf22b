import { NotFoundException, PipeTransform } from '@nestjs/common';
import { simulatorFor } from './simulators/registry';
import type { ProviderSimulator } from './simulators/simulator';

/** Route param → the provider's simulator; anything else is an unknown route. */
export class SandboxProviderPipe implements PipeTransform<string, ProviderSimulator> {
  transform(value: string): ProviderSimulator {
    const simulator = simulatorFor(value);
    if (!simulator) throw new NotFoundException();
    return simulator;
  }
}
