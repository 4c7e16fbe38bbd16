/** Passes pools with room for the volume: thin pools by provisioned capacity × over-subscription, thick pools by free capacity. */
import { placeableGb, wantsThin, type BackendState, type FilterProperties } from '../backend-state.js';
import type { BackendFilter } from './backend-filter.js';

export class CapacityFilter implements BackendFilter {
  readonly name = 'CapacityFilter';
  backendPasses(backend: BackendState, props: FilterProperties): boolean {
    if (backend.totalCapacityGb <= 0) return false;
    return placeableGb(backend, wantsThin(backend, props.extraSpecs)) >= props.size;
  }
}
