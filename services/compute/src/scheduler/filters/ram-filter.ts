/** RamFilter: enough free RAM under ram_allocation_ratio. */
import { freeRamMb, type FilterRequest, type HostFilter, type HostState } from '../host-state.js';

export class RamFilter implements HostFilter {
  readonly name = 'RamFilter';
  hostPasses(host: HostState, req: FilterRequest): boolean {
    return freeRamMb(host) >= req.flavor.memoryMb;
  }
}
