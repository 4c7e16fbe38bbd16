/**
 * Routers and floating IPs (neutron's L3 objects).
 *
 * Version history:
 * - 1.0 - routers with gateway port, SNAT flag, extra routes, distributed/ha flags, L3 host; floating IPs with their external port
 */
import type { NetworkDb } from './common.js';
import { bool, chunks, json, now, standardFromRow, standardForInsert, type StandardAttributes } from './common.js';
import type { FloatingIpTable, RouterTable } from '../db/schema.js';
import type { HostRoute } from './subnet.js';

/** A router. */
export interface Router extends StandardAttributes {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly status: string;
  readonly adminStateUp: boolean;
  readonly gwPortId: string | null;
  readonly enableSnat: boolean;
  readonly routes: readonly HostRoute[];
  readonly distributed: boolean;
  readonly ha: boolean;
  readonly availabilityZoneHints: readonly string[];
  /** The L3 agent host the router is scheduled to, or null. */
  readonly host: string | null;
  readonly tags: readonly string[];
}

/** SQL-level filters of router loads. */
export interface RouterQuery {
  readonly ids?: readonly string[];
  readonly projectIds?: readonly string[];
  readonly names?: readonly string[];
  readonly hosts?: readonly (string | null)[];
}

async function tagsOf(db: NetworkDb, type: string, ids: readonly string[]): Promise<Map<string, string[]>> {
  const tags = new Map<string, string[]>();
  for (const c of chunks(ids)) {
    for (const t of await db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_type', '=', type).where('resource_id', 'in', c).orderBy('tag').execute()) {
      (tags.get(t.resource_id) ?? tags.set(t.resource_id, []).get(t.resource_id)!).push(t.tag);
    }
  }
  return tags;
}

function routerFromRow(r: RouterTable, tags: readonly string[]): Router {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    status: r.status,
    adminStateUp: bool(r.admin_state_up),
    gwPortId: r.gw_port_id,
    enableSnat: bool(r.enable_snat),
    routes: json<HostRoute[]>(r.routes, []),
    distributed: bool(r.distributed),
    ha: bool(r.ha),
    availabilityZoneHints: json<string[]>(r.availability_zone_hints, []),
    host: r.host,
    ...standardFromRow(r),
    tags,
  };
}

/** Load routers, oldest first. */
export async function loadRouters(db: NetworkDb, q: RouterQuery = {}): Promise<Router[]> {
  if ([q.ids, q.projectIds, q.names, q.hosts].some((l) => l !== undefined && l.length === 0)) return [];
  const rows: RouterTable[] = [];
  for (const c of q.ids === undefined ? [undefined] : chunks(q.ids)) {
    let query = db.selectFrom('routers').selectAll();
    if (c !== undefined) query = query.where('id', 'in', c);
    if (q.projectIds !== undefined) query = query.where('project_id', 'in', q.projectIds);
    if (q.names !== undefined) query = query.where('name', 'in', q.names);
    if (q.hosts !== undefined) {
      const hosts = q.hosts.filter((h): h is string => h !== null);
      const withNull = q.hosts.includes(null);
      query = query.where((eb) => eb.or([...(hosts.length > 0 ? [eb('host', 'in', hosts)] : []), ...(withNull ? [eb('host', 'is', null)] : [])]));
    }
    rows.push(...(await query.orderBy('created_at').orderBy('id').execute()));
  }
  const tags = await tagsOf(db, 'routers', rows.map((r) => r.id));
  return rows.map((r) => routerFromRow(r, tags.get(r.id) ?? []));
}

/** One router by id, or undefined. */
export async function findRouter(db: NetworkDb, id: string): Promise<Router | undefined> {
  return (await loadRouters(db, { ids: [id] }))[0];
}

/** Columns of a new router. */
export interface RouterInsert {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly description: string;
  readonly adminStateUp: boolean;
  readonly enableSnat: boolean;
  readonly distributed: boolean;
  readonly ha: boolean;
  readonly availabilityZoneHints: readonly string[];
  readonly host: string | null;
}

/** Insert a router. */
export async function insertRouter(db: NetworkDb, r: RouterInsert): Promise<void> {
  await db
    .insertInto('routers')
    .values({
      id: r.id,
      project_id: r.projectId,
      name: r.name,
      status: 'ACTIVE',
      admin_state_up: r.adminStateUp,
      gw_port_id: null,
      enable_snat: r.enableSnat,
      routes: '[]',
      distributed: r.distributed,
      ha: r.ha,
      availability_zone_hints: JSON.stringify(r.availabilityZoneHints),
      host: r.host,
      ...standardForInsert(r.description),
    })
    .execute();
}

/** Columns a router update may change. */
export interface RouterUpdate {
  readonly name?: string;
  readonly description?: string;
  readonly adminStateUp?: boolean;
  readonly gwPortId?: string | null;
  readonly enableSnat?: boolean;
  readonly routes?: readonly HostRoute[];
  readonly distributed?: boolean;
  readonly ha?: boolean;
  readonly host?: string | null;
}

/** Apply an update and bump the revision. */
export async function updateRouterRow(db: NetworkDb, id: string, u: RouterUpdate): Promise<void> {
  await db
    .updateTable('routers')
    .set((eb) => ({
      ...(u.name !== undefined ? { name: u.name } : {}),
      ...(u.description !== undefined ? { description: u.description } : {}),
      ...(u.adminStateUp !== undefined ? { admin_state_up: u.adminStateUp } : {}),
      ...(u.gwPortId !== undefined ? { gw_port_id: u.gwPortId } : {}),
      ...(u.enableSnat !== undefined ? { enable_snat: u.enableSnat } : {}),
      ...(u.routes !== undefined ? { routes: JSON.stringify(u.routes) } : {}),
      ...(u.distributed !== undefined ? { distributed: u.distributed } : {}),
      ...(u.ha !== undefined ? { ha: u.ha } : {}),
      ...(u.host !== undefined ? { host: u.host } : {}),
      revision_number: eb('revision_number', '+', 1),
      updated_at: now(),
    }))
    .where('id', '=', id)
    .execute();
}

/** Delete a router row and its tags. */
export async function deleteRouterRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('tags').where('resource_type', '=', 'routers').where('resource_id', '=', id).execute();
  await db.deleteFrom('routers').where('id', '=', id).execute();
}

/** A floating IP. */
export interface FloatingIp extends StandardAttributes {
  readonly id: string;
  readonly projectId: string;
  readonly floatingNetworkId: string;
  readonly floatingIpAddress: string;
  readonly floatingPortId: string;
  readonly fixedPortId: string | null;
  readonly fixedIpAddress: string | null;
  readonly routerId: string | null;
  readonly status: string;
  readonly tags: readonly string[];
}

/** SQL-level filters of floating IP loads. */
export interface FloatingIpQuery {
  readonly ids?: readonly string[];
  readonly projectIds?: readonly string[];
  readonly routerIds?: readonly string[];
  readonly fixedPortIds?: readonly string[];
  readonly floatingNetworkIds?: readonly string[];
  readonly floatingIpAddresses?: readonly string[];
}

function fipFromRow(r: FloatingIpTable, tags: readonly string[]): FloatingIp {
  return {
    id: r.id,
    projectId: r.project_id,
    floatingNetworkId: r.floating_network_id,
    floatingIpAddress: r.floating_ip_address,
    floatingPortId: r.floating_port_id,
    fixedPortId: r.fixed_port_id,
    fixedIpAddress: r.fixed_ip_address,
    routerId: r.router_id,
    status: r.status,
    ...standardFromRow(r),
    tags,
  };
}

/** Load floating IPs, oldest first. */
export async function loadFloatingIps(db: NetworkDb, q: FloatingIpQuery = {}): Promise<FloatingIp[]> {
  if ([q.ids, q.projectIds, q.routerIds, q.fixedPortIds, q.floatingNetworkIds, q.floatingIpAddresses].some((l) => l !== undefined && l.length === 0)) return [];
  const rows: FloatingIpTable[] = [];
  for (const c of q.ids === undefined ? [undefined] : chunks(q.ids)) {
    let query = db.selectFrom('floating_ips').selectAll();
    if (c !== undefined) query = query.where('id', 'in', c);
    if (q.projectIds !== undefined) query = query.where('project_id', 'in', q.projectIds);
    if (q.routerIds !== undefined) query = query.where('router_id', 'in', q.routerIds);
    if (q.fixedPortIds !== undefined) query = query.where('fixed_port_id', 'in', q.fixedPortIds);
    if (q.floatingNetworkIds !== undefined) query = query.where('floating_network_id', 'in', q.floatingNetworkIds);
    if (q.floatingIpAddresses !== undefined) query = query.where('floating_ip_address', 'in', q.floatingIpAddresses);
    rows.push(...(await query.orderBy('created_at').orderBy('id').execute()));
  }
  const tags = await tagsOf(db, 'floatingips', rows.map((r) => r.id));
  return rows.map((r) => fipFromRow(r, tags.get(r.id) ?? []));
}

/** One floating IP by id, or undefined. */
export async function findFloatingIp(db: NetworkDb, id: string): Promise<FloatingIp | undefined> {
  return (await loadFloatingIps(db, { ids: [id] }))[0];
}

/** Insert a floating IP. */
export async function insertFloatingIp(
  db: NetworkDb,
  f: { id: string; projectId: string; floatingNetworkId: string; floatingIpAddress: string; floatingPortId: string; fixedPortId: string | null; fixedIpAddress: string | null; routerId: string | null; description: string },
): Promise<void> {
  await db
    .insertInto('floating_ips')
    .values({
      id: f.id,
      project_id: f.projectId,
      floating_network_id: f.floatingNetworkId,
      floating_ip_address: f.floatingIpAddress,
      floating_port_id: f.floatingPortId,
      fixed_port_id: f.fixedPortId,
      fixed_ip_address: f.fixedIpAddress,
      router_id: f.routerId,
      status: 'DOWN',
      ...standardForInsert(f.description),
    })
    .execute();
}

/** Columns a floating IP update may change. */
export interface FloatingIpUpdate {
  readonly fixedPortId?: string | null;
  readonly fixedIpAddress?: string | null;
  readonly routerId?: string | null;
  readonly status?: string;
  readonly description?: string;
}

/** Apply an update and bump the revision. */
export async function updateFloatingIpRow(db: NetworkDb, id: string, u: FloatingIpUpdate): Promise<void> {
  await db
    .updateTable('floating_ips')
    .set((eb) => ({
      ...(u.fixedPortId !== undefined ? { fixed_port_id: u.fixedPortId } : {}),
      ...(u.fixedIpAddress !== undefined ? { fixed_ip_address: u.fixedIpAddress } : {}),
      ...(u.routerId !== undefined ? { router_id: u.routerId } : {}),
      ...(u.status !== undefined ? { status: u.status } : {}),
      ...(u.description !== undefined ? { description: u.description } : {}),
      revision_number: eb('revision_number', '+', 1),
      updated_at: now(),
    }))
    .where('id', '=', id)
    .execute();
}

/** Delete a floating IP row and its tags (its port is the caller's). */
export async function deleteFloatingIpRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('tags').where('resource_type', '=', 'floatingips').where('resource_id', '=', id).execute();
  await db.deleteFrom('floating_ips').where('id', '=', id).execute();
}
