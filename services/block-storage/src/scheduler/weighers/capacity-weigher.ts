/** Higher weights win: the pool with the most placeable capacity, so volumes spread (cinder's CapacityWeigher). */
import { placeableGb, wantsThin, type BackendState, type FilterProperties } from '../backend-state.js';

/** Scores a pool for a request; the scheduler normalises scores to [0, 1] across the candidates. */
export interface BackendWeigher {
  readonly name: string;
  readonly multiplier: number;
  weigh(backend: BackendState, props: FilterProperties): number;
}

export class CapacityWeigher implements BackendWeigher {
  readonly name = 'CapacityWeigher';
  readonly multiplier: number;
  constructor(multiplier = 1) {
    this.multiplier = multiplier;
  }
  weigh(backend: BackendState, props: FilterProperties): number {
    return placeableGb(backend, wantsThin(backend, props.extraSpecs));
  }
}

/** Candidates sorted best first: each weigher's scores normalised to [0, 1], times its multiplier, summed. */
export function weighBackends(candidates: readonly BackendState[], weighers: readonly BackendWeigher[], props: FilterProperties): BackendState[] {
  const totals = new Map<BackendState, number>(candidates.map((c) => [c, 0]));
  for (const w of weighers) {
    const raw = candidates.map((c) => w.weigh(c, props));
    const min = Math.min(...raw);
    const max = Math.max(...raw);
    candidates.forEach((c, i) => {
      const n = max === min ? 0 : ((raw[i] ?? 0) - min) / (max - min);
      totals.set(c, (totals.get(c) ?? 0) + n * w.multiplier);
    });
  }
  return [...candidates].sort((a, b) => (totals.get(b) ?? 0) - (totals.get(a) ?? 0) || a.name.localeCompare(b.name));
}
