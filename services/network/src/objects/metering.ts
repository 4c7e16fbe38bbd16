/**
 * Metering labels and their rules (admin-only traffic counters).
 *
 * Version history:
 * - 1.0 - labels and rules with remote, source and destination prefixes
 */
import type { NetworkDb } from './common.js';
import { bool, now } from './common.js';

/** A metering label. */
export interface MeteringLabel {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly description: string;
  readonly shared: boolean;
}

/** A metering label rule. */
export interface MeteringLabelRule {
  readonly id: string;
  readonly projectId: string;
  readonly meteringLabelId: string;
  readonly direction: 'ingress' | 'egress';
  readonly remoteIpPrefix: string | null;
  readonly sourceIpPrefix: string | null;
  readonly destinationIpPrefix: string | null;
  readonly excluded: boolean;
}

/** Every label. */
export async function loadMeteringLabels(db: NetworkDb, ids?: readonly string[]): Promise<MeteringLabel[]> {
  if (ids !== undefined && ids.length === 0) return [];
  let q = db.selectFrom('metering_labels').selectAll();
  if (ids !== undefined) q = q.where('id', 'in', ids);
  return (await q.orderBy('created_at').orderBy('id').execute()).map((r) => ({ id: r.id, projectId: r.project_id, name: r.name, description: r.description, shared: bool(r.shared) }));
}

/** Insert a label. */
export async function insertMeteringLabel(db: NetworkDb, l: MeteringLabel): Promise<void> {
  await db.insertInto('metering_labels').values({ id: l.id, project_id: l.projectId, name: l.name, description: l.description, shared: l.shared, created_at: now() }).execute();
}

/** Delete a label and its rules. */
export async function deleteMeteringLabelRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('metering_label_rules').where('metering_label_id', '=', id).execute();
  await db.deleteFrom('metering_labels').where('id', '=', id).execute();
}

/** Every rule (of some labels). */
export async function loadMeteringLabelRules(db: NetworkDb, q: { ids?: readonly string[]; labelIds?: readonly string[] } = {}): Promise<MeteringLabelRule[]> {
  if ([q.ids, q.labelIds].some((l) => l !== undefined && l.length === 0)) return [];
  let query = db.selectFrom('metering_label_rules').selectAll();
  if (q.ids !== undefined) query = query.where('id', 'in', q.ids);
  if (q.labelIds !== undefined) query = query.where('metering_label_id', 'in', q.labelIds);
  return (await query.orderBy('created_at').orderBy('id').execute()).map((r) => ({
    id: r.id,
    projectId: r.project_id,
    meteringLabelId: r.metering_label_id,
    direction: r.direction === 'egress' ? 'egress' : 'ingress',
    remoteIpPrefix: r.remote_ip_prefix,
    sourceIpPrefix: r.source_ip_prefix,
    destinationIpPrefix: r.destination_ip_prefix,
    excluded: bool(r.excluded),
  }));
}

/** Insert a rule. */
export async function insertMeteringLabelRule(db: NetworkDb, r: MeteringLabelRule): Promise<void> {
  await db
    .insertInto('metering_label_rules')
    .values({
      id: r.id,
      project_id: r.projectId,
      metering_label_id: r.meteringLabelId,
      direction: r.direction,
      remote_ip_prefix: r.remoteIpPrefix,
      source_ip_prefix: r.sourceIpPrefix,
      destination_ip_prefix: r.destinationIpPrefix,
      excluded: r.excluded,
      created_at: now(),
    })
    .execute();
}

/** Delete a rule. */
export async function deleteMeteringLabelRuleRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('metering_label_rules').where('id', '=', id).execute();
}
