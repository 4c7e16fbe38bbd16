/**
 * Subnet pools: prefixes subnets can be carved from.
 *
 * Version history:
 * - 1.0 - pools with prefixes, prefix length bounds, shared and default flags
 */
import type { NetworkDb } from './common.js';
import { bool, chunks, json, now, standardFromRow, standardForInsert, type StandardAttributes } from './common.js';

/** A subnet pool. */
export interface SubnetPool extends StandardAttributes {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly ipVersion: 4 | 6;
  readonly prefixes: readonly string[];
  readonly defaultPrefixlen: number;
  readonly minPrefixlen: number;
  readonly maxPrefixlen: number;
  readonly shared: boolean;
  readonly isDefault: boolean;
  readonly defaultQuota: number | null;
  readonly addressScopeId: string | null;
  readonly tags: readonly string[];
}

/** Load pools, oldest first. */
export async function loadSubnetPools(db: NetworkDb, q: { ids?: readonly string[]; visibleTo?: string } = {}): Promise<SubnetPool[]> {
  if (q.ids !== undefined && q.ids.length === 0) return [];
  let query = db.selectFrom('subnet_pools').selectAll();
  if (q.ids !== undefined) query = query.where('id', 'in', q.ids);
  if (q.visibleTo !== undefined) {
    const p = q.visibleTo;
    query = query.where((eb) => eb.or([eb('project_id', '=', p), eb('shared', '=', true)]));
  }
  const rows = await query.orderBy('created_at').orderBy('id').execute();
  const tags = new Map<string, string[]>();
  for (const c of chunks(rows.map((r) => r.id))) {
    for (const t of await db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_type', '=', 'subnetpools').where('resource_id', 'in', c).orderBy('tag').execute()) {
      (tags.get(t.resource_id) ?? tags.set(t.resource_id, []).get(t.resource_id)!).push(t.tag);
    }
  }
  return rows.map((r) => ({
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    ipVersion: Number(r.ip_version) === 6 ? 6 : 4,
    prefixes: json<string[]>(r.prefixes, []),
    defaultPrefixlen: Number(r.default_prefixlen),
    minPrefixlen: Number(r.min_prefixlen),
    maxPrefixlen: Number(r.max_prefixlen),
    shared: bool(r.shared),
    isDefault: bool(r.is_default),
    defaultQuota: r.default_quota === null ? null : Number(r.default_quota),
    addressScopeId: r.address_scope_id,
    ...standardFromRow(r),
    tags: tags.get(r.id) ?? [],
  }));
}

/** Columns of a new pool. */
export type SubnetPoolInsert = Omit<SubnetPool, keyof StandardAttributes | 'tags'> & { readonly description: string };

/** Insert a pool. */
export async function insertSubnetPool(db: NetworkDb, p: SubnetPoolInsert): Promise<void> {
  await db
    .insertInto('subnet_pools')
    .values({
      id: p.id,
      project_id: p.projectId,
      name: p.name,
      ip_version: p.ipVersion,
      prefixes: JSON.stringify(p.prefixes),
      default_prefixlen: p.defaultPrefixlen,
      min_prefixlen: p.minPrefixlen,
      max_prefixlen: p.maxPrefixlen,
      shared: p.shared,
      is_default: p.isDefault,
      default_quota: p.defaultQuota,
      address_scope_id: p.addressScopeId,
      ...standardForInsert(p.description),
    })
    .execute();
}

/** Columns a pool update may change. */
export type SubnetPoolUpdate = Partial<Pick<SubnetPool, 'name' | 'description' | 'prefixes' | 'defaultPrefixlen' | 'minPrefixlen' | 'maxPrefixlen' | 'isDefault' | 'defaultQuota'>>;

/** Apply an update and bump the revision. */
export async function updateSubnetPoolRow(db: NetworkDb, id: string, u: SubnetPoolUpdate): Promise<void> {
  await db
    .updateTable('subnet_pools')
    .set((eb) => ({
      ...(u.name !== undefined ? { name: u.name } : {}),
      ...(u.description !== undefined ? { description: u.description } : {}),
      ...(u.prefixes !== undefined ? { prefixes: JSON.stringify(u.prefixes) } : {}),
      ...(u.defaultPrefixlen !== undefined ? { default_prefixlen: u.defaultPrefixlen } : {}),
      ...(u.minPrefixlen !== undefined ? { min_prefixlen: u.minPrefixlen } : {}),
      ...(u.maxPrefixlen !== undefined ? { max_prefixlen: u.maxPrefixlen } : {}),
      ...(u.isDefault !== undefined ? { is_default: u.isDefault } : {}),
      ...(u.defaultQuota !== undefined ? { default_quota: u.defaultQuota } : {}),
      revision_number: eb('revision_number', '+', 1),
      updated_at: now(),
    }))
    .where('id', '=', id)
    .execute();
}

/** Delete a pool and its tags. */
export async function deleteSubnetPoolRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('tags').where('resource_type', '=', 'subnetpools').where('resource_id', '=', id).execute();
  await db.deleteFrom('subnet_pools').where('id', '=', id).execute();
}
