/** AvailabilityZoneFilter: the host is in the requested zone (and is the forced host, when one is given). */
import type { FilterRequest, HostFilter, HostState } from '../host-state.js';

export class AvailabilityZoneFilter implements HostFilter {
  readonly name = 'AvailabilityZoneFilter';
  hostPasses(host: HostState, req: FilterRequest): boolean {
    if (req.forceHost !== null && req.forceHost !== host.host) return false;
    return req.availabilityZone === null || req.availabilityZone === host.availabilityZone;
  }
}
