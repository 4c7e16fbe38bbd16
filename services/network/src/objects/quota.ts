/**
 * Per-project quota limits and the lock rows that serialize quota checks.
 *
 * Version history:
 * - 1.0 - limits per (project, resource); lock rows for SELECT ... FOR UPDATE
 */
import type { NetworkDb } from './common.js';

/** The limits a project has set (resources without a row use the defaults). */
export async function projectLimits(db: NetworkDb, projectId: string): Promise<Map<string, number>> {
  const rows = await db.selectFrom('quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).execute();
  return new Map(rows.map((r) => [r.resource, Number(r.hard_limit)]));
}

/** Every project with at least one non-default limit. */
export async function projectsWithLimits(db: NetworkDb): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  for (const r of await db.selectFrom('quotas').selectAll().orderBy('project_id').execute()) {
    (out.get(r.project_id) ?? out.set(r.project_id, new Map()).get(r.project_id)!).set(r.resource, Number(r.hard_limit));
  }
  return out;
}

/** Set limits of a project (upsert each). */
export async function setLimits(db: NetworkDb, projectId: string, limits: ReadonlyMap<string, number>): Promise<void> {
  for (const [resource, limit] of limits) {
    const r = await db.updateTable('quotas').set({ hard_limit: limit }).where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) await db.insertInto('quotas').values({ project_id: projectId, resource, hard_limit: limit }).execute();
  }
}

/** Remove a project's limits (back to defaults). */
export async function deleteLimits(db: NetworkDb, projectId: string): Promise<void> {
  await db.deleteFrom('quotas').where('project_id', '=', projectId).execute();
}

/**
 * Lock the (project, resource) row for the rest of the transaction, so concurrent creates of the
 * same project count one after the other (PostgreSQL, MariaDB: SELECT ... FOR UPDATE; SQLite
 * serializes write transactions already).
 */
export async function lockQuota(db: NetworkDb, dialect: string, projectId: string, resource: string): Promise<void> {
  if (dialect === 'sqlite') return;
  const exists = await db.selectFrom('quota_locks').select('project_id').where('project_id', '=', projectId).where('resource', '=', resource).forUpdate().executeTakeFirst();
  if (exists !== undefined) return;
  // NOTE: a concurrent first insert fails with a unique violation; the caller's retry loop starts over and locks the row then.
  await db.insertInto('quota_locks').values({ project_id: projectId, resource }).execute();
  await db.selectFrom('quota_locks').select('project_id').where('project_id', '=', projectId).where('resource', '=', resource).forUpdate().executeTakeFirst();
}
