/**
 * Ports, their IP allocations and security group memberships.
 *
 * Version history:
 * - 1.0 - ports with fixed IPs (one allocation row per address, unique per subnet), binding, address pairs, extra DHCP options, tags
 */
import type { NetworkDb } from './common.js';
import { bool, chunks, json, now, standardFromRow, standardForInsert, type StandardAttributes } from './common.js';
import type { PortTable } from '../db/schema.js';
import { parseIp, type IpAddress } from '../ipam/cidr.js';

/** The sortable text of an address (`ip_allocations.ip_sort`). */
export function ipSortKey(ip: IpAddress): string {
  return ip.value.toString(16).padStart(ip.version === 4 ? 8 : 32, '0');
}

/** One address of a port. */
export interface FixedIp {
  readonly subnetId: string;
  readonly ipAddress: string;
}

/** An allowed address pair. */
export interface AddressPair {
  readonly ipAddress: string;
  readonly macAddress: string;
}

/** An extra DHCP option of a port. */
export interface ExtraDhcpOpt {
  readonly optName: string;
  readonly optValue: string;
  readonly ipVersion: 4 | 6;
}

/** A port. */
export interface Port extends StandardAttributes {
  readonly id: string;
  readonly projectId: string;
  readonly networkId: string;
  readonly name: string;
  readonly macAddress: string;
  readonly adminStateUp: boolean;
  readonly status: string;
  readonly deviceId: string;
  readonly deviceOwner: string;
  readonly portSecurityEnabled: boolean;
  readonly bindingHostId: string;
  readonly bindingVifType: string;
  readonly bindingVifDetails: Readonly<Record<string, unknown>>;
  readonly bindingVnicType: string;
  readonly bindingProfile: Readonly<Record<string, unknown>>;
  readonly allowedAddressPairs: readonly AddressPair[];
  readonly extraDhcpOpts: readonly ExtraDhcpOpt[];
  /** IPv4 first, then by address. */
  readonly fixedIps: readonly FixedIp[];
  readonly securityGroups: readonly string[];
  readonly tags: readonly string[];
}

/** SQL-level filters of port loads. */
export interface PortQuery {
  readonly ids?: readonly string[];
  readonly networkIds?: readonly string[];
  readonly deviceIds?: readonly string[];
  readonly deviceOwners?: readonly string[];
  readonly projectIds?: readonly string[];
  readonly macAddresses?: readonly string[];
  readonly names?: readonly string[];
  readonly hosts?: readonly string[];
  /** Ports holding one of these addresses (`fixed_ips=ip_address=`). */
  readonly ipAddresses?: readonly string[];
  /** Ports holding an address on one of these subnets (`fixed_ips=subnet_id=`). */
  readonly subnetIds?: readonly string[];
  /** Only ids after this one, in id order (pagination pushed down). */
  readonly afterId?: string;
  /** At most this many, in id order. */
  readonly limit?: number;
  /** Non-admin visibility: owned by this project, or on a network it owns. */
  readonly visibleTo?: string;
}

/** Sort fixed IPs: IPv4 before IPv6, then by address. */
export function sortFixedIps(ips: readonly FixedIp[]): FixedIp[] {
  const key = (f: FixedIp) => parseIp(f.ipAddress);
  return [...ips].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka === undefined || kb === undefined) return a.ipAddress.localeCompare(b.ipAddress);
    if (ka.version !== kb.version) return ka.version - kb.version;
    return ka.value < kb.value ? -1 : ka.value > kb.value ? 1 : 0;
  });
}

/** Load ports with fixed IPs, security groups and tags. */
export async function loadPorts(db: NetworkDb, q: PortQuery = {}): Promise<Port[]> {
  const lists = [q.ids, q.networkIds, q.deviceIds, q.deviceOwners, q.projectIds, q.macAddresses, q.names, q.hosts, q.ipAddresses, q.subnetIds];
  if (lists.some((l) => l !== undefined && l.length === 0)) return [];
  const rows: PortTable[] = [];
  const chunked = q.ids ?? q.deviceIds;
  for (const c of chunked === undefined ? [undefined] : chunks(chunked)) {
    let query = db.selectFrom('ports').selectAll();
    if (q.ids !== undefined) query = query.where('id', 'in', c ?? q.ids);
    if (q.deviceIds !== undefined) query = query.where('device_id', 'in', q.ids === undefined ? (c ?? q.deviceIds) : q.deviceIds);
    if (q.networkIds !== undefined) query = query.where('network_id', 'in', q.networkIds);
    if (q.deviceOwners !== undefined) query = query.where('device_owner', 'in', q.deviceOwners);
    if (q.projectIds !== undefined) query = query.where('project_id', 'in', q.projectIds);
    if (q.macAddresses !== undefined) query = query.where('mac_address', 'in', q.macAddresses);
    if (q.names !== undefined) query = query.where('name', 'in', q.names);
    if (q.hosts !== undefined) query = query.where('binding_host_id', 'in', q.hosts);
    if (q.ipAddresses !== undefined) {
      const ips = q.ipAddresses;
      query = query.where('id', 'in', (eb) => eb.selectFrom('ip_allocations').select('port_id').where('ip_address', 'in', ips));
    }
    if (q.subnetIds !== undefined) {
      const subnets = q.subnetIds;
      query = query.where('id', 'in', (eb) => eb.selectFrom('ip_allocations').select('port_id').where('subnet_id', 'in', subnets));
    }
    if (q.afterId !== undefined) query = query.where('id', '>', q.afterId);
    if (q.visibleTo !== undefined) {
      const p = q.visibleTo;
      query = query.where((eb) => eb.or([eb('project_id', '=', p), eb('network_id', 'in', eb.selectFrom('networks').select('id').where('project_id', '=', p))]));
    }
    rows.push(...(await (q.limit !== undefined || q.afterId !== undefined ? query.orderBy('id').limit(q.limit ?? 1_000_000) : query.orderBy('created_at').orderBy('id')).execute()));
  }
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const ips = new Map<string, FixedIp[]>();
  const sgs = new Map<string, string[]>();
  const tags = new Map<string, string[]>();
  for (const c of chunks(ids)) {
    for (const a of await db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', c).execute()) {
      (ips.get(a.port_id) ?? ips.set(a.port_id, []).get(a.port_id)!).push({ subnetId: a.subnet_id, ipAddress: a.ip_address });
    }
    for (const s of await db.selectFrom('port_security_groups').select(['port_id', 'security_group_id']).where('port_id', 'in', c).orderBy('security_group_id').execute()) {
      (sgs.get(s.port_id) ?? sgs.set(s.port_id, []).get(s.port_id)!).push(s.security_group_id);
    }
    for (const t of await db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_type', '=', 'ports').where('resource_id', 'in', c).orderBy('tag').execute()) {
      (tags.get(t.resource_id) ?? tags.set(t.resource_id, []).get(t.resource_id)!).push(t.tag);
    }
  }
  return rows.map((r) => ({
    id: r.id,
    projectId: r.project_id,
    networkId: r.network_id,
    name: r.name,
    macAddress: r.mac_address,
    adminStateUp: bool(r.admin_state_up),
    status: r.status,
    deviceId: r.device_id,
    deviceOwner: r.device_owner,
    portSecurityEnabled: bool(r.port_security_enabled),
    bindingHostId: r.binding_host_id,
    bindingVifType: r.binding_vif_type,
    bindingVifDetails: json<Record<string, unknown>>(r.binding_vif_details, {}),
    bindingVnicType: r.binding_vnic_type,
    bindingProfile: json<Record<string, unknown>>(r.binding_profile, {}),
    allowedAddressPairs: json<AddressPair[]>(r.allowed_address_pairs, []),
    extraDhcpOpts: json<ExtraDhcpOpt[]>(r.extra_dhcp_opts, []),
    ...standardFromRow(r),
    fixedIps: sortFixedIps(ips.get(r.id) ?? []),
    securityGroups: sgs.get(r.id) ?? [],
    tags: tags.get(r.id) ?? [],
  }));
}

/** One port by id (no visibility rule), or undefined. */
export async function findPort(db: NetworkDb, id: string): Promise<Port | undefined> {
  return (await loadPorts(db, { ids: [id] }))[0];
}

/** Columns of a new port (addresses, groups and tags are written separately). */
export type PortInsert = Omit<Port, keyof StandardAttributes | 'fixedIps' | 'securityGroups' | 'tags'> & { readonly description: string };

/** Insert a port row (allocations and groups separately). Throws a unique violation on a MAC taken on the network. */
export async function insertPort(db: NetworkDb, p: PortInsert): Promise<void> {
  await db
    .insertInto('ports')
    .values({
      id: p.id,
      project_id: p.projectId,
      network_id: p.networkId,
      name: p.name,
      mac_address: p.macAddress,
      admin_state_up: p.adminStateUp,
      status: p.status,
      device_id: p.deviceId,
      device_owner: p.deviceOwner,
      port_security_enabled: p.portSecurityEnabled,
      binding_host_id: p.bindingHostId,
      binding_vif_type: p.bindingVifType,
      binding_vif_details: JSON.stringify(p.bindingVifDetails),
      binding_vnic_type: p.bindingVnicType,
      binding_profile: JSON.stringify(p.bindingProfile),
      allowed_address_pairs: JSON.stringify(p.allowedAddressPairs),
      extra_dhcp_opts: JSON.stringify(p.extraDhcpOpts),
      ...standardForInsert(p.description),
    })
    .execute();
}

/** Columns a port update may change. */
export type PortUpdate = Partial<Omit<PortInsert, 'id' | 'projectId' | 'networkId'>>;

/** Apply an update and bump the revision. */
export async function updatePortRow(db: NetworkDb, id: string, u: PortUpdate): Promise<void> {
  await db
    .updateTable('ports')
    .set((eb) => ({
      ...(u.name !== undefined ? { name: u.name } : {}),
      ...(u.description !== undefined ? { description: u.description } : {}),
      ...(u.macAddress !== undefined ? { mac_address: u.macAddress } : {}),
      ...(u.adminStateUp !== undefined ? { admin_state_up: u.adminStateUp } : {}),
      ...(u.status !== undefined ? { status: u.status } : {}),
      ...(u.deviceId !== undefined ? { device_id: u.deviceId } : {}),
      ...(u.deviceOwner !== undefined ? { device_owner: u.deviceOwner } : {}),
      ...(u.portSecurityEnabled !== undefined ? { port_security_enabled: u.portSecurityEnabled } : {}),
      ...(u.bindingHostId !== undefined ? { binding_host_id: u.bindingHostId } : {}),
      ...(u.bindingVifType !== undefined ? { binding_vif_type: u.bindingVifType } : {}),
      ...(u.bindingVifDetails !== undefined ? { binding_vif_details: JSON.stringify(u.bindingVifDetails) } : {}),
      ...(u.bindingVnicType !== undefined ? { binding_vnic_type: u.bindingVnicType } : {}),
      ...(u.bindingProfile !== undefined ? { binding_profile: JSON.stringify(u.bindingProfile) } : {}),
      ...(u.allowedAddressPairs !== undefined ? { allowed_address_pairs: JSON.stringify(u.allowedAddressPairs) } : {}),
      ...(u.extraDhcpOpts !== undefined ? { extra_dhcp_opts: JSON.stringify(u.extraDhcpOpts) } : {}),
      revision_number: eb('revision_number', '+', 1),
      updated_at: now(),
    }))
    .where('id', '=', id)
    .execute();
}

/** Insert allocations; throws a unique violation when an address is taken (the caller retries or answers 409). */
export async function insertAllocations(db: NetworkDb, portId: string, networkId: string, ips: readonly FixedIp[]): Promise<void> {
  if (ips.length === 0) return;
  await db
    .insertInto('ip_allocations')
    .values(ips.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress, ip_sort: ipSortKey(parseIp(f.ipAddress)!), network_id: networkId, port_id: portId })))
    .execute();
}

/** Remove some of a port's allocations. */
export async function deleteAllocations(db: NetworkDb, portId: string, ips: readonly FixedIp[]): Promise<void> {
  for (const f of ips) await db.deleteFrom('ip_allocations').where('port_id', '=', portId).where('subnet_id', '=', f.subnetId).where('ip_address', '=', f.ipAddress).execute();
}

/** Up to `limit` addresses taken on a subnet from `from` to `to` (sort keys, inclusive), in address order. */
export async function allocatedBetween(db: NetworkDb, subnetId: string, from: string, to: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('ip_allocations')
    .select('ip_sort')
    .where('subnet_id', '=', subnetId)
    .where('ip_sort', '>=', from)
    .where('ip_sort', '<=', to)
    .orderBy('ip_sort')
    .limit(limit)
    .execute();
  return rows.map((r) => r.ip_sort);
}

/** Who holds an address on a subnet, if anyone. */
export async function allocationHolder(db: NetworkDb, subnetId: string, ipAddress: string): Promise<string | undefined> {
  return (await db.selectFrom('ip_allocations').select('port_id').where('subnet_id', '=', subnetId).where('ip_address', '=', ipAddress).executeTakeFirst())?.port_id;
}

/** Replace a port's security groups. */
export async function setPortSecurityGroups(db: NetworkDb, portId: string, groupIds: readonly string[]): Promise<void> {
  await db.deleteFrom('port_security_groups').where('port_id', '=', portId).execute();
  if (groupIds.length > 0) await db.insertInto('port_security_groups').values(groupIds.map((g) => ({ port_id: portId, security_group_id: g }))).execute();
}

/** Delete a port with its allocations, groups and tags. */
export async function deletePortRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('ip_allocations').where('port_id', '=', id).execute();
  await db.deleteFrom('port_security_groups').where('port_id', '=', id).execute();
  await db.deleteFrom('tags').where('resource_type', '=', 'ports').where('resource_id', '=', id).execute();
  await db.deleteFrom('ports').where('id', '=', id).execute();
}

/** Set a port's status without bumping anything else; returns true when the row changed. */
export async function setPortStatus(db: NetworkDb, id: string, status: string, onlyIfHost?: string): Promise<boolean> {
  let q = db
    .updateTable('ports')
    .set((eb) => ({ status, revision_number: eb('revision_number', '+', 1), updated_at: now() }))
    .where('id', '=', id)
    .where('status', '!=', status);
  if (onlyIfHost !== undefined) q = q.where('binding_host_id', '=', onlyIfHost);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Port ids holding addresses on a subnet, with their owners. */
export async function portsOnSubnet(db: NetworkDb, subnetId: string): Promise<Array<{ portId: string; deviceOwner: string; deviceId: string }>> {
  const rows = await db
    .selectFrom('ip_allocations')
    .innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
    .select(['ports.id as portId', 'ports.device_owner as deviceOwner', 'ports.device_id as deviceId'])
    .where('ip_allocations.subnet_id', '=', subnetId)
    .execute();
  return rows;
}
