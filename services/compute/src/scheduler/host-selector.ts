/** Filters, then weighs (nova/weights.py normalisation), then sorts: the pure core of scheduling. */
import type { FilterRequest, HostFilter, HostState, HostWeigher } from './host-state.js';
import { ComputeFilter } from './filters/compute-filter.js';
import { RamFilter } from './filters/ram-filter.js';
import { CoreFilter } from './filters/core-filter.js';
import { DiskFilter } from './filters/disk-filter.js';
import { AvailabilityZoneFilter } from './filters/availability-zone-filter.js';
import { ServerGroupAffinityFilter, ServerGroupAntiAffinityFilter } from './filters/server-group-filter.js';
import { ImagePropertiesFilter } from './filters/image-properties-filter.js';
import { ComputeCapabilitiesFilter } from './filters/compute-capabilities-filter.js';
import { RamWeigher } from './weighers/ram-weigher.js';
import { SoftAffinityWeigher, SoftAntiAffinityWeigher } from './weighers/server-group-soft-weigher.js';

/** The default filter chain, in nova's order. */
export function defaultFilters(): HostFilter[] {
  return [new AvailabilityZoneFilter(), new ComputeFilter(), new RamFilter(), new CoreFilter(), new DiskFilter(), new ComputeCapabilitiesFilter(), new ImagePropertiesFilter(), new ServerGroupAntiAffinityFilter(), new ServerGroupAffinityFilter()];
}

/** The default weighers. */
export function defaultWeighers(): HostWeigher[] {
  return [new RamWeigher(), new SoftAffinityWeigher(), new SoftAntiAffinityWeigher()];
}

/** The outcome of one selection: hosts best first, or which filter rejected how many. */
export interface Selection {
  readonly hosts: readonly HostState[];
  /** e.g. [{ filter: 'RamFilter', rejected: 3 }], in chain order, for the "No valid host" fault. */
  readonly rejections: ReadonlyArray<{ readonly filter: string; readonly rejected: number }>;
}

/** Run the filters in order, then sort the survivors by their normalised, multiplied weights. */
export function selectHosts(hosts: readonly HostState[], req: FilterRequest, filters: readonly HostFilter[], weighers: readonly HostWeigher[]): Selection {
  let remaining = [...hosts];
  const rejections: Array<{ filter: string; rejected: number }> = [];
  for (const f of filters) {
    const before = remaining.length;
    remaining = remaining.filter((h) => f.hostPasses(h, req));
    if (remaining.length < before) rejections.push({ filter: f.name, rejected: before - remaining.length });
    if (remaining.length === 0) break;
  }
  const totals = new Map<HostState, number>(remaining.map((h) => [h, 0]));
  for (const w of weighers) {
    const raw = remaining.map((h) => w.weigh(h, req));
    const min = Math.min(...raw);
    const max = Math.max(...raw);
    remaining.forEach((h, i) => {
      const v = raw[i] ?? 0;
      const norm = max === min ? 0 : (v - min) / (max - min);
      totals.set(h, (totals.get(h) ?? 0) + w.multiplier * norm);
    });
  }
  const sorted = remaining.sort((a, b) => (totals.get(b) ?? 0) - (totals.get(a) ?? 0) || a.host.localeCompare(b.host));
  return { hosts: sorted, rejections };
}

/** The fault text for no valid host, naming the filters that rejected hosts. */
export function noValidHostMessage(total: number, rejections: Selection['rejections']): string {
  const detail = rejections.map((r) => `${r.filter} rejected ${r.rejected}`).join(', ');
  return `No valid host was found. There are not enough hosts available. (${total} host${total === 1 ? '' : 's'} considered${detail === '' ? '' : `; ${detail}`})`;
}
