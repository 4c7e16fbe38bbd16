/**
 * Tags of standard-attribute resources (networks, subnets, ports, routers, floating IPs, security groups, subnet pools).
 *
 * Version history:
 * - 1.0 - one row per (resource type, id, tag)
 */
import type { NetworkDb } from './common.js';

/** The tags of one resource, sorted. */
export async function tagsOf(db: NetworkDb, resourceType: string, resourceId: string): Promise<string[]> {
  return (await db.selectFrom('tags').select('tag').where('resource_type', '=', resourceType).where('resource_id', '=', resourceId).orderBy('tag').execute()).map((r) => r.tag);
}

/** Add one tag (no-op when present). */
export async function addTag(db: NetworkDb, resourceType: string, resourceId: string, tag: string): Promise<void> {
  const exists = await db.selectFrom('tags').select('tag').where('resource_type', '=', resourceType).where('resource_id', '=', resourceId).where('tag', '=', tag).executeTakeFirst();
  if (exists === undefined) await db.insertInto('tags').values({ resource_type: resourceType, resource_id: resourceId, tag }).execute();
}

/** Remove one tag; true when it was there. */
export async function removeTag(db: NetworkDb, resourceType: string, resourceId: string, tag: string): Promise<boolean> {
  const r = await db.deleteFrom('tags').where('resource_type', '=', resourceType).where('resource_id', '=', resourceId).where('tag', '=', tag).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Replace all tags. */
export async function replaceTags(db: NetworkDb, resourceType: string, resourceId: string, tags: readonly string[]): Promise<void> {
  await db.deleteFrom('tags').where('resource_type', '=', resourceType).where('resource_id', '=', resourceId).execute();
  const unique = [...new Set(tags)];
  if (unique.length > 0) await db.insertInto('tags').values(unique.map((tag) => ({ resource_type: resourceType, resource_id: resourceId, tag }))).execute();
}
