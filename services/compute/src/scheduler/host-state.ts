/** What the scheduler knows about one candidate host (nova's HostState), built from the DB at step 10. */
import type { FlavorSnapshot } from '../objects/instance.js';
import type { ServerGroup } from '../objects/server-group.js';

/** A candidate host. */
export interface HostState {
  readonly host: string;
  readonly node: string;
  readonly availabilityZone: string;
  readonly up: boolean;
  readonly disabled: boolean;
  readonly vcpus: number;
  readonly vcpusUsed: number;
  readonly memoryMb: number;
  readonly memoryMbUsed: number;
  readonly localGb: number;
  readonly localGbUsed: number;
  readonly cpuAllocationRatio: number;
  readonly ramAllocationRatio: number;
  readonly diskAllocationRatio: number;
  readonly hypervisorType: string;
  readonly runningVms: number;
  /** Instance ids on the host (for group policies). */
  readonly instances: ReadonlySet<string>;
}

/** What a filter or weigher checks a host against (nova's RequestSpec, in plain data). */
export interface FilterRequest {
  readonly flavor: FlavorSnapshot;
  readonly imageProperties: Readonly<Record<string, unknown>>;
  readonly availabilityZone: string | null;
  readonly forceHost: string | null;
  readonly group: ServerGroup | null;
  /** Hosts already chosen by the group's members (including ones placed in this request). */
  readonly groupHosts: ReadonlySet<string>;
}

/** Free RAM after the allocation ratio, in MB. */
export function freeRamMb(h: HostState): number {
  return h.memoryMb * h.ramAllocationRatio - h.memoryMbUsed;
}

/** Free vCPUs after the allocation ratio. */
export function freeVcpus(h: HostState): number {
  return h.vcpus * h.cpuAllocationRatio - h.vcpusUsed;
}

/** Free disk after the allocation ratio, in GB. */
export function freeDiskGb(h: HostState): number {
  return h.localGb * h.diskAllocationRatio - h.localGbUsed;
}

/** Disk a flavor needs on the host: root + ephemeral + swap (MB rounded up to GB). */
export function flavorDiskGb(f: FlavorSnapshot): number {
  return f.rootGb + f.ephemeralGb + Math.ceil(f.swap / 1024);
}

/** A filter: "Return True if the HostState passes the filter". */
export interface HostFilter {
  readonly name: string;
  hostPasses(host: HostState, req: FilterRequest): boolean;
}

/** A weigher: higher weights win; raw values are normalised across hosts before the multiplier. */
export interface HostWeigher {
  readonly name: string;
  readonly multiplier: number;
  weigh(host: HostState, req: FilterRequest): number;
}
