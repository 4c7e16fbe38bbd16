/** Runs filters in order and keeps count of what each rejected, for a "No valid backend" that says why. */
import type { BackendState, FilterProperties } from '../backend-state.js';
import type { BackendFilter } from './backend-filter.js';

/** What filtering left, and how many pools each filter took out. */
export interface FilterOutcome {
  readonly passed: BackendState[];
  readonly rejected: ReadonlyArray<{ readonly filter: string; readonly count: number }>;
}

/** Apply each filter to what the previous left. */
export function filterBackends(backends: readonly BackendState[], filters: readonly BackendFilter[], props: FilterProperties): FilterOutcome {
  let left = [...backends];
  const rejected: Array<{ filter: string; count: number }> = [];
  for (const f of filters) {
    const next = left.filter((b) => f.backendPasses(b, props));
    if (next.length < left.length) rejected.push({ filter: f.name, count: left.length - next.length });
    left = next;
  }
  return { passed: left, rejected };
}

/** The explanation of a failed placement: which filter rejected how many backends. */
export function noValidBackendReason(total: number, outcome: FilterOutcome): string {
  if (total === 0) return 'No volume backend is up and enabled.';
  const parts = outcome.rejected.map((r) => `${r.filter} rejected ${r.count}`);
  return `No valid backend was found. ${total} backend${total === 1 ? '' : 's'} considered: ${parts.join(', ')}.`;
}
