/** Passes only the pool a snapshot or source volume lives on, when the request has one (a file backend cannot copy across hosts). */
import type { BackendState, FilterProperties } from '../backend-state.js';
import type { BackendFilter } from './backend-filter.js';

export class SameBackendFilter implements BackendFilter {
  readonly name = 'SameBackendFilter';
  backendPasses(backend: BackendState, props: FilterProperties): boolean {
    const want = props.resourceBackend;
    if (want === null) return true;
    return want.includes('#') ? backend.name === want : backend.backend === want;
  }
}
