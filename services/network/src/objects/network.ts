/**
 * Networks and their ML2 segments.
 *
 * Version history:
 * - 1.0 - networks with one segment each (flat, vlan, vxlan), tags, availability zone hints
 */
import type { NetworkDb } from './common.js';
import { bool, chunks, json, now, standardFromRow, standardForInsert, type StandardAttributes } from './common.js';
import type { NetworkSegmentTable, NetworkTable } from '../db/schema.js';

/** A network's L2 segment. */
export interface Segment {
  readonly id: string;
  readonly networkType: 'flat' | 'vlan' | 'vxlan';
  readonly physicalNetwork: string | null;
  readonly segmentationId: number | null;
}

/** A network with what its views need. */
export interface Network extends StandardAttributes {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly status: string;
  readonly adminStateUp: boolean;
  readonly shared: boolean;
  readonly external: boolean;
  readonly mtu: number;
  readonly portSecurityEnabled: boolean;
  readonly availabilityZoneHints: readonly string[];
  readonly segments: readonly Segment[];
  /** Subnet ids, oldest first. */
  readonly subnetIds: readonly string[];
  readonly tags: readonly string[];
  /** True when a DHCP agent hosts the network (its availability_zones then lists that agent's zone). */
  readonly availabilityZones: readonly string[];
}

/** Columns a network insert sets (its status starts ACTIVE; segments, subnets and tags are written separately). */
export type NetworkInsert = Omit<Network, keyof StandardAttributes | 'status' | 'segments' | 'subnetIds' | 'tags' | 'availabilityZones'> & { readonly description: string };

/** Which networks to load: SQL-level filters. */
export interface NetworkQuery {
  readonly ids?: readonly string[];
  /** Non-admin visibility: owned by this project, or shared, or external. */
  readonly visibleTo?: string;
  readonly projectIds?: readonly string[];
  readonly names?: readonly string[];
  readonly shared?: boolean;
  readonly external?: boolean;
}

/** The unique allocation key of a segment (one network per VNI, per VLAN id on a physnet, per flat physnet). */
export function segmentAllocKey(s: Omit<Segment, 'id'>): string {
  if (s.networkType === 'vxlan') return `vxlan:${s.segmentationId}`;
  if (s.networkType === 'vlan') return `vlan:${s.physicalNetwork}:${s.segmentationId}`;
  return `flat:${s.physicalNetwork}`;
}

function segmentFromRow(r: NetworkSegmentTable): Segment {
  return { id: r.id, networkType: r.network_type as Segment['networkType'], physicalNetwork: r.physical_network, segmentationId: r.segmentation_id === null ? null : Number(r.segmentation_id) };
}

/** Load networks with their segments, subnets, tags and DHCP zones. */
export async function loadNetworks(db: NetworkDb, q: NetworkQuery = {}): Promise<Network[]> {
  if (q.ids !== undefined && q.ids.length === 0) return [];
  const rows: NetworkTable[] = [];
  const idChunks = q.ids === undefined ? [undefined] : chunks(q.ids);
  for (const ids of idChunks) {
    let query = db.selectFrom('networks').selectAll();
    if (ids !== undefined) query = query.where('id', 'in', ids);
    if (q.visibleTo !== undefined) {
      const p = q.visibleTo;
      query = query.where((eb) => eb.or([eb('project_id', '=', p), eb('shared', '=', true), eb('external', '=', true)]));
    }
    if (q.projectIds !== undefined) query = q.projectIds.length === 0 ? query.where('id', '=', '') : query.where('project_id', 'in', q.projectIds);
    if (q.names !== undefined) query = q.names.length === 0 ? query.where('id', '=', '') : query.where('name', 'in', q.names);
    if (q.shared !== undefined) query = query.where('shared', '=', q.shared);
    if (q.external !== undefined) query = query.where('external', '=', q.external);
    rows.push(...(await query.orderBy('created_at').orderBy('id').execute()));
  }
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const segs = new Map<string, Segment[]>();
  const subnets = new Map<string, string[]>();
  const tags = new Map<string, string[]>();
  const dhcp = new Set<string>();
  const all = rows.length > 200 && q.ids === undefined;
  for (const c of all ? [undefined] : chunks(ids)) {
    let sq = db.selectFrom('network_segments').selectAll().orderBy('segment_index');
    if (c !== undefined) sq = sq.where('network_id', 'in', c);
    for (const s of await sq.execute()) (segs.get(s.network_id) ?? segs.set(s.network_id, []).get(s.network_id)!).push(segmentFromRow(s));
    let nq = db.selectFrom('subnets').select(['id', 'network_id']).orderBy('created_at').orderBy('id');
    if (c !== undefined) nq = nq.where('network_id', 'in', c);
    for (const s of await nq.execute()) (subnets.get(s.network_id) ?? subnets.set(s.network_id, []).get(s.network_id)!).push(s.id);
    let tq = db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_type', '=', 'networks').orderBy('tag');
    if (c !== undefined) tq = tq.where('resource_id', 'in', c);
    for (const t of await tq.execute()) (tags.get(t.resource_id) ?? tags.set(t.resource_id, []).get(t.resource_id)!).push(t.tag);
    let dq = db.selectFrom('network_dhcp_agents').select('network_id');
    if (c !== undefined) dq = dq.where('network_id', 'in', c);
    for (const d of await dq.execute()) dhcp.add(d.network_id);
  }
  return rows.map((r) => ({
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    status: r.status,
    adminStateUp: bool(r.admin_state_up),
    shared: bool(r.shared),
    external: bool(r.external),
    mtu: Number(r.mtu),
    portSecurityEnabled: bool(r.port_security_enabled),
    availabilityZoneHints: json<string[]>(r.availability_zone_hints, []),
    ...standardFromRow(r),
    segments: segs.get(r.id) ?? [],
    subnetIds: subnets.get(r.id) ?? [],
    tags: tags.get(r.id) ?? [],
    availabilityZones: dhcp.has(r.id) ? ['nova'] : [],
  }));
}

/** One network by id (no visibility rule), or undefined. */
export async function findNetwork(db: NetworkDb, id: string): Promise<Network | undefined> {
  return (await loadNetworks(db, { ids: [id] }))[0];
}

/** Insert a network and its segment. Throws a unique violation when the segment is taken. */
export async function insertNetwork(db: NetworkDb, n: NetworkInsert, segment: Omit<Segment, 'id'> & { id: string }): Promise<void> {
  await db
    .insertInto('networks')
    .values({
      id: n.id,
      project_id: n.projectId,
      name: n.name,
      status: 'ACTIVE',
      admin_state_up: n.adminStateUp,
      shared: n.shared,
      external: n.external,
      mtu: n.mtu,
      port_security_enabled: n.portSecurityEnabled,
      availability_zone_hints: JSON.stringify(n.availabilityZoneHints),
      ...standardForInsert(n.description),
    })
    .execute();
  await db
    .insertInto('network_segments')
    .values({
      id: segment.id,
      network_id: n.id,
      network_type: segment.networkType,
      physical_network: segment.physicalNetwork,
      segmentation_id: segment.segmentationId,
      alloc_key: segmentAllocKey(segment),
      segment_index: 0,
    })
    .execute();
}

/** Columns an update may change. */
export interface NetworkUpdate {
  readonly name?: string;
  readonly description?: string;
  readonly adminStateUp?: boolean;
  readonly shared?: boolean;
  readonly external?: boolean;
  readonly mtu?: number;
  readonly portSecurityEnabled?: boolean;
}

/** Apply an update and bump the revision. */
export async function updateNetwork(db: NetworkDb, id: string, u: NetworkUpdate): Promise<void> {
  await db
    .updateTable('networks')
    .set((eb) => ({
      ...(u.name !== undefined ? { name: u.name } : {}),
      ...(u.description !== undefined ? { description: u.description } : {}),
      ...(u.adminStateUp !== undefined ? { admin_state_up: u.adminStateUp } : {}),
      ...(u.shared !== undefined ? { shared: u.shared } : {}),
      ...(u.external !== undefined ? { external: u.external } : {}),
      ...(u.mtu !== undefined ? { mtu: u.mtu } : {}),
      ...(u.portSecurityEnabled !== undefined ? { port_security_enabled: u.portSecurityEnabled } : {}),
      revision_number: eb('revision_number', '+', 1),
      updated_at: now(),
    }))
    .where('id', '=', id)
    .execute();
}

/** Bump a network's revision (its subnets changed). */
export async function bumpNetwork(db: NetworkDb, id: string): Promise<void> {
  await updateNetwork(db, id, {});
}

/** Delete a network row, its segments, tags and DHCP bindings (subnets and ports are the caller's). */
export async function deleteNetworkRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('network_segments').where('network_id', '=', id).execute();
  await db.deleteFrom('network_dhcp_agents').where('network_id', '=', id).execute();
  await db.deleteFrom('tags').where('resource_type', '=', 'networks').where('resource_id', '=', id).execute();
  await db.deleteFrom('networks').where('id', '=', id).execute();
}

/** Segmentation ids of a type (and physnet) already taken, for tenant allocation. */
export async function usedSegmentationIds(db: NetworkDb, networkType: string, physicalNetwork: string | null): Promise<number[]> {
  let q = db.selectFrom('network_segments').select('segmentation_id').where('network_type', '=', networkType);
  q = physicalNetwork === null ? q.where('physical_network', 'is', null) : q.where('physical_network', '=', physicalNetwork);
  return (await q.execute()).map((r) => Number(r.segmentation_id)).filter((n) => Number.isFinite(n));
}
