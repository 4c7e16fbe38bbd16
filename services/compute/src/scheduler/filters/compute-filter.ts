/** ComputeFilter: only enabled hosts whose service is up. */
import type { FilterRequest, HostFilter, HostState } from '../host-state.js';

export class ComputeFilter implements HostFilter {
  readonly name = 'ComputeFilter';
  hostPasses(host: HostState, _req: FilterRequest): boolean {
    return host.up && !host.disabled;
  }
}
