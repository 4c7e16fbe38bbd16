/** Passes pools in the availability zone the request names (any zone when it names none). */
import type { BackendState, FilterProperties } from '../backend-state.js';
import type { BackendFilter } from './backend-filter.js';

export class AvailabilityZoneFilter implements BackendFilter {
  readonly name = 'AvailabilityZoneFilter';
  backendPasses(backend: BackendState, props: FilterProperties): boolean {
    return props.availabilityZone === null || props.availabilityZone === backend.availabilityZone;
  }
}
