/**
 * Security groups, their rules, and each project's `default` group.
 *
 * Version history:
 * - 1.0 - groups and rules (direction, ethertype, protocol, ports, remote prefix or group), one default group per project
 */
import type { NetworkDb } from './common.js';
import { chunks, now, standardFromRow, standardForInsert, type StandardAttributes } from './common.js';
import type { SecurityGroupRuleTable } from '../db/schema.js';

/** A security group rule. */
export interface SecurityGroupRule extends StandardAttributes {
  readonly id: string;
  readonly projectId: string;
  readonly securityGroupId: string;
  readonly direction: 'ingress' | 'egress';
  readonly ethertype: 'IPv4' | 'IPv6';
  readonly protocol: string | null;
  readonly portRangeMin: number | null;
  readonly portRangeMax: number | null;
  readonly remoteIpPrefix: string | null;
  readonly remoteGroupId: string | null;
}

/** A security group with its rules. */
export interface SecurityGroup extends StandardAttributes {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly rules: readonly SecurityGroupRule[];
  readonly tags: readonly string[];
}

function ruleFromRow(r: SecurityGroupRuleTable): SecurityGroupRule {
  return {
    id: r.id,
    projectId: r.project_id,
    securityGroupId: r.security_group_id,
    direction: r.direction === 'egress' ? 'egress' : 'ingress',
    ethertype: r.ethertype === 'IPv6' ? 'IPv6' : 'IPv4',
    protocol: r.protocol,
    portRangeMin: r.port_range_min === null ? null : Number(r.port_range_min),
    portRangeMax: r.port_range_max === null ? null : Number(r.port_range_max),
    remoteIpPrefix: r.remote_ip_prefix,
    remoteGroupId: r.remote_group_id,
    ...standardFromRow(r),
  };
}

/** SQL-level filters of group loads. */
export interface SecurityGroupQuery {
  readonly ids?: readonly string[];
  readonly projectIds?: readonly string[];
  readonly names?: readonly string[];
}

/** Load groups with rules and tags. */
export async function loadSecurityGroups(db: NetworkDb, q: SecurityGroupQuery = {}): Promise<SecurityGroup[]> {
  if ([q.ids, q.projectIds, q.names].some((l) => l !== undefined && l.length === 0)) return [];
  const groups = [];
  for (const c of q.ids === undefined ? [undefined] : chunks(q.ids)) {
    let query = db.selectFrom('security_groups').selectAll();
    if (c !== undefined) query = query.where('id', 'in', c);
    if (q.projectIds !== undefined) query = query.where('project_id', 'in', q.projectIds);
    if (q.names !== undefined) query = query.where('name', 'in', q.names);
    groups.push(...(await query.orderBy('created_at').orderBy('id').execute()));
  }
  const rules = new Map<string, SecurityGroupRule[]>();
  const tags = new Map<string, string[]>();
  for (const c of chunks(groups.map((g) => g.id))) {
    for (const r of await db.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', c).orderBy('created_at').orderBy('id').execute()) {
      (rules.get(r.security_group_id) ?? rules.set(r.security_group_id, []).get(r.security_group_id)!).push(ruleFromRow(r));
    }
    for (const t of await db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_type', '=', 'security-groups').where('resource_id', 'in', c).orderBy('tag').execute()) {
      (tags.get(t.resource_id) ?? tags.set(t.resource_id, []).get(t.resource_id)!).push(t.tag);
    }
  }
  return groups.map((g) => ({ id: g.id, projectId: g.project_id, name: g.name, ...standardFromRow(g), rules: rules.get(g.id) ?? [], tags: tags.get(g.id) ?? [] }));
}

/** One group by id, or undefined. */
export async function findSecurityGroup(db: NetworkDb, id: string): Promise<SecurityGroup | undefined> {
  return (await loadSecurityGroups(db, { ids: [id] }))[0];
}

/** SQL-level filters of rule loads. */
export interface SecurityGroupRuleQuery {
  readonly ids?: readonly string[];
  readonly groupIds?: readonly string[];
  /** Non-admin visibility: rules of this project or of its groups. */
  readonly visibleTo?: string;
}

/** Load rules, oldest first. */
export async function loadSecurityGroupRules(db: NetworkDb, q: SecurityGroupRuleQuery = {}): Promise<SecurityGroupRule[]> {
  if ([q.ids, q.groupIds].some((l) => l !== undefined && l.length === 0)) return [];
  const out: SecurityGroupRule[] = [];
  for (const c of q.ids === undefined ? [undefined] : chunks(q.ids)) {
    let query = db.selectFrom('security_group_rules').selectAll();
    if (c !== undefined) query = query.where('id', 'in', c);
    if (q.groupIds !== undefined) query = query.where('security_group_id', 'in', q.groupIds);
    if (q.visibleTo !== undefined) {
      const p = q.visibleTo;
      query = query.where((eb) => eb.or([eb('project_id', '=', p), eb('security_group_id', 'in', eb.selectFrom('security_groups').select('id').where('project_id', '=', p))]));
    }
    out.push(...(await query.orderBy('created_at').orderBy('id').execute()).map(ruleFromRow));
  }
  return out;
}

/** Insert a group. */
export async function insertSecurityGroup(db: NetworkDb, g: { id: string; projectId: string; name: string; description: string }): Promise<void> {
  await db.insertInto('security_groups').values({ id: g.id, project_id: g.projectId, name: g.name, ...standardForInsert(g.description) }).execute();
}

/** Rename or describe a group; bumps the revision. */
export async function updateSecurityGroupRow(db: NetworkDb, id: string, u: { name?: string; description?: string }): Promise<void> {
  await db
    .updateTable('security_groups')
    .set((eb) => ({ ...(u.name !== undefined ? { name: u.name } : {}), ...(u.description !== undefined ? { description: u.description } : {}), revision_number: eb('revision_number', '+', 1), updated_at: now() }))
    .where('id', '=', id)
    .execute();
}

/** Delete a group with its rules, tags and default marker. */
export async function deleteSecurityGroupRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('security_group_rules').where('security_group_id', '=', id).execute();
  await db.deleteFrom('default_security_groups').where('security_group_id', '=', id).execute();
  await db.deleteFrom('tags').where('resource_type', '=', 'security-groups').where('resource_id', '=', id).execute();
  await db.deleteFrom('security_groups').where('id', '=', id).execute();
}

/** Columns of a new rule. */
export type SecurityGroupRuleInsert = Omit<SecurityGroupRule, keyof StandardAttributes> & { readonly description: string };

/** Insert a rule. */
export async function insertSecurityGroupRule(db: NetworkDb, r: SecurityGroupRuleInsert): Promise<void> {
  await db
    .insertInto('security_group_rules')
    .values({
      id: r.id,
      project_id: r.projectId,
      security_group_id: r.securityGroupId,
      direction: r.direction,
      ethertype: r.ethertype,
      protocol: r.protocol,
      port_range_min: r.portRangeMin,
      port_range_max: r.portRangeMax,
      remote_ip_prefix: r.remoteIpPrefix,
      remote_group_id: r.remoteGroupId,
      ...standardForInsert(r.description),
    })
    .execute();
}

/** Delete a rule. */
export async function deleteSecurityGroupRuleRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('security_group_rules').where('id', '=', id).execute();
}

/** The default group of a project, if it has one. */
export async function defaultGroupOf(db: NetworkDb, projectId: string): Promise<string | undefined> {
  return (await db.selectFrom('default_security_groups').select('security_group_id').where('project_id', '=', projectId).executeTakeFirst())?.security_group_id;
}

/** Mark a group as its project's default; throws a unique violation when the project already has one. */
export async function insertDefaultMarker(db: NetworkDb, projectId: string, groupId: string): Promise<void> {
  await db.insertInto('default_security_groups').values({ project_id: projectId, security_group_id: groupId }).execute();
}

/** Ports that are members of a group. */
export async function portsInGroup(db: NetworkDb, groupId: string): Promise<string[]> {
  return (await db.selectFrom('port_security_groups').select('port_id').where('security_group_id', '=', groupId).execute()).map((r) => r.port_id);
}
