/**
 * Subnets: a CIDR on a network with its gateway, allocation pools, DNS servers and host routes.
 *
 * Version history:
 * - 1.0 - IPv4 and IPv6 subnets, pools, DHCP flag, IPv6 RA/address modes, subnet pool reference, tags
 */
import type { NetworkDb } from './common.js';
import { bool, chunks, json, now, standardFromRow, standardForInsert, type StandardAttributes } from './common.js';
import type { SubnetTable } from '../db/schema.js';

/** A host route of a subnet. */
export interface HostRoute {
  readonly destination: string;
  readonly nexthop: string;
}

/** An allocation pool as the API shows it. */
export interface AllocationPool {
  readonly start: string;
  readonly end: string;
}

/** A subnet. */
export interface Subnet extends StandardAttributes {
  readonly id: string;
  readonly projectId: string;
  readonly networkId: string;
  readonly name: string;
  readonly ipVersion: 4 | 6;
  readonly cidr: string;
  readonly gatewayIp: string | null;
  readonly enableDhcp: boolean;
  readonly ipv6RaMode: string | null;
  readonly ipv6AddressMode: string | null;
  readonly subnetpoolId: string | null;
  readonly dnsNameservers: readonly string[];
  readonly hostRoutes: readonly HostRoute[];
  readonly allocationPools: readonly AllocationPool[];
  readonly tags: readonly string[];
}

/** SQL-level filters of subnet loads. */
export interface SubnetQuery {
  readonly ids?: readonly string[];
  readonly networkIds?: readonly string[];
  /** Non-admin visibility: owned by this project, or on a shared network. */
  readonly visibleTo?: string;
  readonly projectIds?: readonly string[];
  readonly subnetpoolIds?: readonly string[];
}

function fromRow(r: SubnetTable, tags: readonly string[]): Subnet {
  return {
    id: r.id,
    projectId: r.project_id,
    networkId: r.network_id,
    name: r.name,
    ipVersion: Number(r.ip_version) === 6 ? 6 : 4,
    cidr: r.cidr,
    gatewayIp: r.gateway_ip,
    enableDhcp: bool(r.enable_dhcp),
    ipv6RaMode: r.ipv6_ra_mode,
    ipv6AddressMode: r.ipv6_address_mode,
    subnetpoolId: r.subnetpool_id,
    dnsNameservers: json<string[]>(r.dns_nameservers, []),
    hostRoutes: json<HostRoute[]>(r.host_routes, []),
    allocationPools: json<AllocationPool[]>(r.allocation_pools, []),
    ...standardFromRow(r),
    tags,
  };
}

/** Load subnets, oldest first, with their tags. */
export async function loadSubnets(db: NetworkDb, q: SubnetQuery = {}): Promise<Subnet[]> {
  if ((q.ids !== undefined && q.ids.length === 0) || (q.networkIds !== undefined && q.networkIds.length === 0)) return [];
  const rows: SubnetTable[] = [];
  for (const ids of q.ids === undefined ? [undefined] : chunks(q.ids)) {
    for (const nets of q.networkIds === undefined ? [undefined] : chunks(q.networkIds)) {
      let query = db.selectFrom('subnets').selectAll();
      if (ids !== undefined) query = query.where('id', 'in', ids);
      if (nets !== undefined) query = query.where('network_id', 'in', nets);
      if (q.projectIds !== undefined) query = q.projectIds.length === 0 ? query.where('id', '=', '') : query.where('project_id', 'in', q.projectIds);
      if (q.subnetpoolIds !== undefined) query = q.subnetpoolIds.length === 0 ? query.where('id', '=', '') : query.where('subnetpool_id', 'in', q.subnetpoolIds);
      if (q.visibleTo !== undefined) {
        const p = q.visibleTo;
        query = query.where((eb) => eb.or([eb('project_id', '=', p), eb('network_id', 'in', eb.selectFrom('networks').select('id').where('shared', '=', true))]));
      }
      rows.push(...(await query.orderBy('created_at').orderBy('id').execute()));
    }
  }
  if (rows.length === 0) return [];
  const tags = new Map<string, string[]>();
  for (const c of chunks(rows.map((r) => r.id))) {
    for (const t of await db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_type', '=', 'subnets').where('resource_id', 'in', c).orderBy('tag').execute()) {
      (tags.get(t.resource_id) ?? tags.set(t.resource_id, []).get(t.resource_id)!).push(t.tag);
    }
  }
  return rows.map((r) => fromRow(r, tags.get(r.id) ?? []));
}

/** One subnet by id (no visibility rule), or undefined. */
export async function findSubnet(db: NetworkDb, id: string): Promise<Subnet | undefined> {
  return (await loadSubnets(db, { ids: [id] }))[0];
}

/** Columns of a new subnet. */
export type SubnetInsert = Omit<Subnet, keyof StandardAttributes | 'tags'> & { readonly description: string };

/** Insert a subnet. */
export async function insertSubnet(db: NetworkDb, s: SubnetInsert): Promise<void> {
  await db
    .insertInto('subnets')
    .values({
      id: s.id,
      project_id: s.projectId,
      network_id: s.networkId,
      name: s.name,
      ip_version: s.ipVersion,
      cidr: s.cidr,
      gateway_ip: s.gatewayIp,
      enable_dhcp: s.enableDhcp,
      ipv6_ra_mode: s.ipv6RaMode,
      ipv6_address_mode: s.ipv6AddressMode,
      subnetpool_id: s.subnetpoolId,
      dns_nameservers: JSON.stringify(s.dnsNameservers),
      host_routes: JSON.stringify(s.hostRoutes),
      allocation_pools: JSON.stringify(s.allocationPools),
      ...standardForInsert(s.description),
    })
    .execute();
}

/** Columns a subnet update may change. */
export interface SubnetUpdate {
  readonly name?: string;
  readonly description?: string;
  readonly gatewayIp?: string | null;
  readonly enableDhcp?: boolean;
  readonly dnsNameservers?: readonly string[];
  readonly hostRoutes?: readonly HostRoute[];
  readonly allocationPools?: readonly AllocationPool[];
}

/** Apply an update and bump the revision. */
export async function updateSubnet(db: NetworkDb, id: string, u: SubnetUpdate): Promise<void> {
  await db
    .updateTable('subnets')
    .set((eb) => ({
      ...(u.name !== undefined ? { name: u.name } : {}),
      ...(u.description !== undefined ? { description: u.description } : {}),
      ...(u.gatewayIp !== undefined ? { gateway_ip: u.gatewayIp } : {}),
      ...(u.enableDhcp !== undefined ? { enable_dhcp: u.enableDhcp } : {}),
      ...(u.dnsNameservers !== undefined ? { dns_nameservers: JSON.stringify(u.dnsNameservers) } : {}),
      ...(u.hostRoutes !== undefined ? { host_routes: JSON.stringify(u.hostRoutes) } : {}),
      ...(u.allocationPools !== undefined ? { allocation_pools: JSON.stringify(u.allocationPools) } : {}),
      revision_number: eb('revision_number', '+', 1),
      updated_at: now(),
    }))
    .where('id', '=', id)
    .execute();
}

/** Delete a subnet row and its tags (allocations are the caller's). */
export async function deleteSubnetRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('tags').where('resource_type', '=', 'subnets').where('resource_id', '=', id).execute();
  await db.deleteFrom('subnets').where('id', '=', id).execute();
}
