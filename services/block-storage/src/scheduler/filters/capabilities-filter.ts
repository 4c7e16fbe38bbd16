/**
 * Passes pools whose capabilities satisfy the volume type's extra specs: unscoped keys and keys
 * scoped `capabilities:` are matched; other scopes (`RESKEY:`, vendor keys) are ignored, as in cinder.
 */
import type { BackendState, FilterProperties } from '../backend-state.js';
import type { BackendFilter } from './backend-filter.js';
import { matchesSpec } from './extra-specs-ops.js';

/** Keys that describe the volume, not the backend. */
const IGNORED = new Set(['multiattach', 'replication_enabled']);

export class CapabilitiesFilter implements BackendFilter {
  readonly name = 'CapabilitiesFilter';
  backendPasses(backend: BackendState, props: FilterProperties): boolean {
    for (const [key, requirement] of Object.entries(props.extraSpecs)) {
      let scope = key.split(':');
      if (scope.length > 1 && scope[0] !== 'capabilities') continue;
      if (scope[0] === 'capabilities') scope = scope.slice(1);
      if (scope.length === 1 && IGNORED.has(scope[0] ?? '')) continue;
      let cap: unknown = backend.capabilities;
      for (const part of scope) {
        if (typeof cap !== 'object' || cap === null || !(part in cap)) return false;
        cap = (cap as Record<string, unknown>)[part];
      }
      const values = Array.isArray(cap) ? cap : [cap];
      if (!values.some((v) => matchesSpec(v, requirement))) return false;
    }
    return true;
  }
}
