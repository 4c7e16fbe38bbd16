/** The contract of a scheduler filter (cinder's BaseBackendFilter). */
import type { BackendState, FilterProperties } from '../backend-state.js';

/** Passes or rejects one pool for one request; named in "No valid backend" messages. */
export interface BackendFilter {
  /** Class-style name shown to users (`CapacityFilter`). */
  readonly name: string;
  /** True when the pool can take the request. */
  backendPasses(backend: BackendState, props: FilterProperties): boolean;
}
