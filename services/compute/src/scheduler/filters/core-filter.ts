/** CoreFilter: enough free vCPUs under cpu_allocation_ratio. */
import { freeVcpus, type FilterRequest, type HostFilter, type HostState } from '../host-state.js';

export class CoreFilter implements HostFilter {
  readonly name = 'CoreFilter';
  hostPasses(host: HostState, req: FilterRequest): boolean {
    return freeVcpus(host) >= req.flavor.vcpus;
  }
}
