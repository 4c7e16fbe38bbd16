/** Flavor JSON by microversion. */
import type { Flavor } from '../objects/flavor.js';
import type { ApiVersion } from './microversion.js';
import { resourceLinks } from './view-helpers.js';

/** One entry of GET /flavors. */
export function flavorIndexView(f: Flavor, base: string, v: ApiVersion): Record<string, unknown> {
  return { id: f.id, name: f.name, links: resourceLinks(base, 'flavors', f.id), ...(v.atLeast('2.55') ? { description: f.description } : {}) };
}

/** GET /flavors/{id} and /flavors/detail entries. */
export function flavorDetailView(f: Flavor, base: string, v: ApiVersion): Record<string, unknown> {
  return {
    id: f.id,
    name: f.name,
    ram: f.memoryMb,
    disk: f.rootGb,
    vcpus: f.vcpus,
    links: resourceLinks(base, 'flavors', f.id),
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeralGb,
    'OS-FLV-DISABLED:disabled': f.disabled,
    // 2.75: swap 0 instead of "" for none.
    swap: f.swap === 0 && !v.atLeast('2.75') ? '' : f.swap,
    rxtx_factor: f.rxtxFactor,
    'os-flavor-access:is_public': f.isPublic,
    ...(v.atLeast('2.55') ? { description: f.description } : {}),
    ...(v.atLeast('2.61') ? { extra_specs: { ...f.extraSpecs } } : {}),
  };
}
