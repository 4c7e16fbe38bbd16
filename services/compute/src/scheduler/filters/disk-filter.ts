/** DiskFilter: enough free disk (root + ephemeral + swap) under disk_allocation_ratio. */
import { flavorDiskGb, freeDiskGb, type FilterRequest, type HostFilter, type HostState } from '../host-state.js';

export class DiskFilter implements HostFilter {
  readonly name = 'DiskFilter';
  hostPasses(host: HostState, req: FilterRequest): boolean {
    return freeDiskGb(host) >= flavorDiskGb(req.flavor);
  }
}
