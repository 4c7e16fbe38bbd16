/** RAMWeigher: "Higher weights win. We want spreading to be the default." */
import { freeRamMb, type FilterRequest, type HostState, type HostWeigher } from '../host-state.js';

export class RamWeigher implements HostWeigher {
  readonly name = 'RAMWeigher';
  readonly multiplier: number;
  constructor(multiplier = 1.0) {
    this.multiplier = multiplier;
  }
  weigh(host: HostState, _req: FilterRequest): number {
    return freeRamMb(host);
  }
}
