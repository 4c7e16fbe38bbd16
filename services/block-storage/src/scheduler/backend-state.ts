/** What the scheduler knows about one pool of one backend (cinder's PoolState), read from the DB for each request. */
import type { PoolCapacity, PoolRecord, ServiceRecord } from '../objects/service-record.js';

/** A pool the scheduler may place volumes on. */
export interface BackendState extends PoolCapacity {
  /** `host@backend`. */
  readonly backend: string;
  readonly pool: string;
  /** `host@backend#pool`, what volumes record as their host. */
  readonly name: string;
  readonly availabilityZone: string;
  /** Everything extra specs are matched against (volume_backend_name, storage_protocol, vendor_name ...). */
  readonly capabilities: Readonly<Record<string, unknown>>;
}

/** What a request asks of a backend (from cinder's request_spec and filter_properties). */
export interface FilterProperties {
  readonly size: number;
  readonly extraSpecs: Readonly<Record<string, string>>;
  readonly availabilityZone: string | null;
  /** Only this `host@backend#pool` (or `host@backend`) will do (the source of a snapshot or clone). */
  readonly resourceBackend: string | null;
}

/** Build the pools of live services: one BackendState per pool whose cinder-volume service reported. */
export function backendStates(services: readonly ServiceRecord[], pools: readonly PoolRecord[]): BackendState[] {
  const byHost = new Map(services.filter((s) => s.binary === 'cinder-volume').map((s) => [s.host, s]));
  const out: BackendState[] = [];
  for (const p of pools) {
    const svc = byHost.get(p.backend);
    if (svc === undefined) continue;
    const capabilities: Record<string, unknown> = {
      ...svc.capabilities,
      ...p.capabilities,
      pool_name: p.pool,
      total_capacity_gb: p.totalCapacityGb,
      free_capacity_gb: p.freeCapacityGb,
      allocated_capacity_gb: p.allocatedCapacityGb,
      provisioned_capacity_gb: p.allocatedCapacityGb,
      reserved_percentage: p.reservedPercentage,
      max_over_subscription_ratio: p.maxOverSubscriptionRatio,
      thin_provisioning_support: p.thinProvisioningSupport,
      thick_provisioning_support: p.thickProvisioningSupport,
    };
    out.push({
      backend: p.backend,
      pool: p.pool,
      name: `${p.backend}#${p.pool}`,
      availabilityZone: svc.availabilityZone,
      totalCapacityGb: p.totalCapacityGb,
      freeCapacityGb: p.freeCapacityGb,
      allocatedCapacityGb: p.allocatedCapacityGb,
      reservedPercentage: p.reservedPercentage,
      maxOverSubscriptionRatio: p.maxOverSubscriptionRatio,
      thinProvisioningSupport: p.thinProvisioningSupport,
      thickProvisioningSupport: p.thickProvisioningSupport,
      capabilities,
    });
  }
  return out;
}

/** True when a volume of this request should be thin on this pool (thin when the pool can and the type does not ask for thick). */
export function wantsThin(b: BackendState, extraSpecs: Readonly<Record<string, string>>): boolean {
  const thick = /<is>\s*true/i.test(extraSpecs['thick_provisioning_support'] ?? extraSpecs['capabilities:thick_provisioning_support'] ?? '');
  if (thick && b.thickProvisioningSupport) return false;
  return b.thinProvisioningSupport;
}

/** GiB still placeable on the pool for this request (virtual for thin pools). */
export function placeableGb(b: BackendState, thin: boolean): number {
  if (thin) return b.totalCapacityGb * b.maxOverSubscriptionRatio * (100 - b.reservedPercentage) / 100 - b.allocatedCapacityGb;
  return b.freeCapacityGb - (b.totalCapacityGb * b.reservedPercentage) / 100;
}
